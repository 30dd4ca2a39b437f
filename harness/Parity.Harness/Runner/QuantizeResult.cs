namespace Parity.Harness.Runner;

/// <summary>A quantized model and the type each tensor got (llama.cpp falls back where a row length does not fit).</summary>
public sealed record QuantizeResult(string OutputPath, string FileType, IReadOnlyList<QuantizedTensor> Tensors, IReadOnlyList<string> Fallbacks);

/// <summary>One tensor of a quantized model: its type before and after.</summary>
public sealed record QuantizedTensor(string Name, string? FromType, string Type, IReadOnlyList<long> Dimensions);

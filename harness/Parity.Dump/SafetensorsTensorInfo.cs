namespace Parity.Dump;

/// <summary>One tensor entry of a safetensors header; offsets are relative to the data section, End one past the last byte.</summary>
internal sealed record SafetensorsTensorInfo(string Key, DumpDType DType, IReadOnlyList<long> Shape, long Begin, long End);

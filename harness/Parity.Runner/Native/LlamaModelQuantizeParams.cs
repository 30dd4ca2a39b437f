using System.Runtime.InteropServices;

namespace Parity.Runner.Native;

/// <summary><c>struct llama_model_quantize_params</c> (56 bytes), passed by pointer.</summary>
[StructLayout(LayoutKind.Explicit, Size = 56)]
internal struct LlamaModelQuantizeParams
{
    public const int ExpectedSize = 56;

    [FieldOffset(0)]
    public int NThread;

    [FieldOffset(4)]
    public int FType;

    [FieldOffset(8)]
    public int OutputTensorType;

    [FieldOffset(12)]
    public int TokenEmbeddingType;

    [FieldOffset(16)]
    public byte AllowRequantize;

    [FieldOffset(17)]
    public byte QuantizeOutputTensor;

    [FieldOffset(19)]
    public byte Pure;
}

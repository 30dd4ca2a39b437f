using System.Runtime.InteropServices;

namespace Parity.Runner.Native;

/// <summary><c>struct llama_batch</c> (56 bytes), allocated by <c>llama_batch_init</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 56)]
internal unsafe struct LlamaBatch
{
    public const int ExpectedSize = 56;

    [FieldOffset(0)]
    public int NTokens;

    [FieldOffset(8)]
    public int* Token;

    [FieldOffset(16)]
    public float* Embd;

    [FieldOffset(24)]
    public int* Pos;

    [FieldOffset(32)]
    public int* NSeqId;

    [FieldOffset(40)]
    public int** SeqId;

    /// <summary>Nonzero: produce logits for this position.</summary>
    [FieldOffset(48)]
    public sbyte* Logits;
}

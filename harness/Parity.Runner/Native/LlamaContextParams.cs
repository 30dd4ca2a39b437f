using System.Runtime.InteropServices;

namespace Parity.Runner.Native;

/// <summary><c>struct llama_context_params</c> at llama.cpp 815a2a5 (160 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 160)]
internal unsafe struct LlamaContextParams
{
    public const int ExpectedSize = 160;

    [FieldOffset(0)]
    public uint NCtx;

    [FieldOffset(4)]
    public uint NBatch;

    [FieldOffset(8)]
    public uint NUbatch;

    [FieldOffset(12)]
    public uint NSeqMax;

    [FieldOffset(24)]
    public int NThreads;

    [FieldOffset(28)]
    public int NThreadsBatch;

    /// <summary>-1 auto, 0 off, 1 on.</summary>
    [FieldOffset(48)]
    public int FlashAttnType;

    [FieldOffset(52)]
    public float RopeFreqBase;

    [FieldOffset(80)]
    public float DefragThold;

    [FieldOffset(88)]
    public delegate* unmanaged[Cdecl]<IntPtr, byte, IntPtr, byte> CbEval;

    [FieldOffset(96)]
    public IntPtr CbEvalUserData;

    [FieldOffset(104)]
    public int TypeK;

    [FieldOffset(108)]
    public int TypeV;

    [FieldOffset(128)]
    public byte Embeddings;

    [FieldOffset(129)]
    public byte OffloadKqv;

    [FieldOffset(130)]
    public byte NoPerf;
}

using System.Runtime.InteropServices;

namespace Parity.Runner.Native;

/// <summary>
/// <c>struct llama_model_params</c> at llama.cpp 815a2a5 (72 bytes). Only the fields the runner sets are named;
/// the rest keep the values <c>llama_model_default_params()</c> returned.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 72)]
internal struct LlamaModelParams
{
    public const int ExpectedSize = 72;

    [FieldOffset(16)]
    public int NGpuLayers;

    [FieldOffset(24)]
    public int LoadMode;

    [FieldOffset(64)]
    public byte VocabOnly;

    [FieldOffset(65)]
    public byte CheckTensors;

    /// <summary>Extra buffer types: on the CPU these are the repacked (interleaved) weight layouts.</summary>
    [FieldOffset(66)]
    public byte UseExtraBufts;
}

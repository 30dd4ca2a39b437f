namespace Parity.Dump;

/// <summary>
/// Element types of dumped tensors, spelled as safetensors spells them (the enum names are the strings written).
/// Quantized ggml types have no safetensors dtype: their raw blocks are stored as <see cref="U8"/>.
/// </summary>
public enum DumpDType
{
    F32,
    F16,
    BF16,
    F64,
    I32,
    I16,
    I8,
    I64,
    U8,
}

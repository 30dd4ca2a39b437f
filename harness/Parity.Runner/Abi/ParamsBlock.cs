using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Parity.Runner.Abi;

/// <summary>
/// Room for one of llama.cpp's parameter structs (<c>llama_model_params</c>, <c>llama_context_params</c>,
/// <c>llama_model_quantize_params</c>) whatever its size in the loaded build, with fields read and written at the
/// offsets of <see cref="LlamaLayout.Current"/>. Passing it by value is exact on x86-64 System V: a struct over 16 bytes
/// is passed in memory and returned through a hidden pointer, so the callee reads (or writes) its own size from the
/// start of this block and never sees the spare bytes after it (<see cref="LayoutResolver"/> refuses a struct of 16
/// bytes or less, which would travel in registers, or more than the capacity).
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = Capacity)]
internal unsafe struct ParamsBlock
{
    public const int Capacity = 512;
    public const int MinimumSize = 16;

    private fixed byte _bytes[Capacity];

    public T Get<T>(string field)
        where T : unmanaged =>
        Unsafe.ReadUnaligned<T>(ref Unsafe.Add(ref _bytes[0], LlamaLayout.Current.Offset(field)));

    public void Set<T>(string field, T value)
        where T : unmanaged =>
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref _bytes[0], LlamaLayout.Current.Offset(field)), value);
}

using System.Runtime.InteropServices;
using System.Text;

namespace Parity.Runner.Native;

/// <summary>
/// Read-only view of a <c>struct ggml_tensor</c> (336 bytes at ggml 0.18.0) through its pointer. Offsets are facts of
/// that layout; <see cref="LlamaAbi"/> checks them against a live tensor at start-up.
/// </summary>
internal readonly unsafe struct GgmlTensor(IntPtr pointer)
{
    public const int TypeOffset = 0;
    public const int BufferOffset = 8;
    public const int NeOffset = 16;
    public const int NbOffset = 48;
    public const int OpOffset = 80;
    public const int OpParamsOffset = 84;
    public const int SrcOffset = 152;
    public const int ViewSrcOffset = 232;
    public const int DataOffset = 248;
    public const int NameOffset = 256;
    public const int MaxName = 64;

    public IntPtr Pointer => pointer;

    private byte* P => (byte*)pointer;

    public int Type => *(int*)(P + TypeOffset);

    public IntPtr Buffer => *(IntPtr*)(P + BufferOffset);

    public long Ne(int i) => ((long*)(P + NeOffset))[i];

    public long Nb(int i) => ((long*)(P + NbOffset))[i];

    public IntPtr Data => *(IntPtr*)(P + DataOffset);

    public string Name
    {
        get
        {
            var span = new ReadOnlySpan<byte>(P + NameOffset, MaxName);
            var end = span.IndexOf((byte)0);
            return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
        }
    }

    public long ElementCount => Ne(0) * Ne(1) * Ne(2) * Ne(3);

    public long[] NeArray() => [Ne(0), Ne(1), Ne(2), Ne(3)];

    /// <summary>ggml's op description: the unary or GLU sub-op for those ops (SWIGLU, SILU), else the op name.</summary>
    public string OpDescription => Marshal.PtrToStringUTF8(LlamaApi.ggml_op_desc(pointer)) ?? "?";

    public string TypeName => Marshal.PtrToStringUTF8(LlamaApi.ggml_type_name(Type)) ?? "?";
}

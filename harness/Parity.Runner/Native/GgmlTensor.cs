using System.Runtime.InteropServices;
using System.Text;

namespace Parity.Runner.Native;

/// <summary>
/// Read-only view of a <c>struct ggml_tensor</c> through its pointer, at the offsets of the loaded build's
/// <see cref="Abi.LlamaLayout"/> (bound once at start-up); the first tensor of a dump is checked against
/// <c>ggml_nbytes</c> (<see cref="GraphTensorCapture"/>).
/// </summary>
internal readonly unsafe struct GgmlTensor(IntPtr pointer)
{
    public static int TypeOffset { get; private set; }

    public static int BufferOffset { get; private set; }

    public static int NeOffset { get; private set; }

    public static int NbOffset { get; private set; }

    public static int DataOffset { get; private set; }

    public static int NameOffset { get; private set; }

    public static int MaxName { get; private set; }

    public static void Bind(Abi.LlamaLayout layout)
    {
        TypeOffset = layout.Offset("ggml_tensor.type");
        BufferOffset = layout.Offset("ggml_tensor.buffer");
        NeOffset = layout.Offset("ggml_tensor.ne");
        NbOffset = layout.Offset("ggml_tensor.nb");
        DataOffset = layout.Offset("ggml_tensor.data");
        NameOffset = layout.Offset("ggml_tensor.name");
        MaxName = layout.Offset("sizeof(ggml_tensor.name)");
    }

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

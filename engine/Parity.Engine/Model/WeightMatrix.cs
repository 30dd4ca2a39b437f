using Parity.Gguf;

namespace Parity.Engine.Model;

/// <summary>
/// A weight tensor as it lies in the memory-mapped GGUF: <see cref="Rows"/> rows of <see cref="Cols"/> elements in
/// ggml type <see cref="Type"/>. ggml's <c>[ne0, ne1]</c> = <c>[Cols, Rows]</c>; a matmul computes one output per row.
/// </summary>
public readonly unsafe struct WeightMatrix
{
    public WeightMatrix(GgufFile file, GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(tensor);
        Name = tensor.Name;
        Type = tensor.Type;
        Cols = checked((int)tensor.RowLength);
        Rows = checked((int)tensor.RowCount);
        RowBytes = checked((int)tensor.TypeInfo.RowBytes(tensor.RowLength));
        Data = file.GetTensorPointer(tensor);
        Mapped = true;
    }

    /// <summary>A matrix over memory the caller owns (a slice of a mapped tensor, or a buffer).</summary>
    internal WeightMatrix(string name, GgmlType type, int rows, int cols, int rowBytes, byte* data, bool mapped = false)
    {
        Mapped = mapped;
        Name = name;
        Type = type;
        Rows = rows;
        Cols = cols;
        RowBytes = rowBytes;
        Data = data;
    }

    public string Name { get; }

    public GgmlType Type { get; }

    public int Rows { get; }

    public int Cols { get; }

    public int RowBytes { get; }

    public byte* Data { get; }

    /// <summary>Whether <see cref="Data"/> lies in a read-only file mapping (whose pages can be dropped and read again).</summary>
    internal bool Mapped { get; }

    /// <summary><see cref="Data"/> as a number, which identifies the tensor where pointers cannot go.</summary>
    public nint Address => (nint)Data;

    public ReadOnlySpan<byte> Row(int r) => new(Data + ((long)r * RowBytes), RowBytes);

    /// <summary>
    /// Rows [<paramref name="first"/>, first + <paramref name="rows"/>) as a matrix of their own: one part of a fused
    /// projection (Phi-3's <c>attn_qkv</c>, its gate-and-up <c>ffn_up</c>), as llama.cpp's views of the fused output.
    /// </summary>
    public WeightMatrix Slice(int first, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, Rows - first);
        return new WeightMatrix($"{Name}[{first}..{first + rows})", Type, rows, Cols, RowBytes, Data + ((long)first * RowBytes), Mapped);
    }
}

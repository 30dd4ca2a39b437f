namespace Parity.Engine.Kernels;

/// <summary>
/// One of ggml's repacked weight layouts (<c>repack.cpp</c>'s <c>tensor_traits&lt;block, INTER_SIZE, NB_COLS&gt;</c>)
/// as the engine reproduces its products. llama.cpp's <c>forward_mul_mat</c> sends all but the last n % 4 activation
/// rows through the <c>gemm</c> kernel (four rows at a time) and those last rows through <c>gemv</c>;
/// <see cref="Gemm"/> and <see cref="Gemv"/> give each weight row the bits of those kernels, and
/// <see cref="FromFloat"/> quantizes the activations as <c>forward_mul_mat</c> does (four-row tiles for the GEMM, the
/// type's <c>from_float</c> for the rows left over).
/// </summary>
/// <param name="Name">ggml's name of the layout, e.g. <c>q4_0_8x8_q8_0</c>.</param>
/// <param name="Columns">Rows interleaved per block (<c>NB_COLS</c>): a matrix is repacked only when its row count is a multiple.</param>
/// <param name="Gemv">The product of a run of weight rows, in the file's own block layout, with one activation row left over from the GEMM's tiles.</param>
/// <param name="Gemm">The same for an activation row the GEMM takes.</param>
/// <param name="FromFloat">New buffers quantizing activations as the repacked <c>forward_mul_mat</c> does.</param>
public sealed record RepackedKernel(string Name, int Columns, VecDotKernel Gemv, VecDotKernel Gemm, Func<QuantizedActivations> FromFloat)
{
    /// <summary>
    /// The same products over the weights interleaved at load (<see cref="RepackedLayout"/>), which the engine uses
    /// whenever it has them; null where the type has no interleaved layout and <see cref="Gemv"/> and <see cref="Gemm"/>
    /// read the file's blocks.
    /// </summary>
    public unsafe RepackedDot.GroupKernel? GroupGemv { get; init; }

    /// <summary>The GEMM of four activation rows over the interleaved weights; null with <see cref="GroupGemv"/>.</summary>
    public unsafe RepackedDot.GroupKernel? GroupGemm { get; init; }

    /// <summary>Whether llama.cpp repacks a 2-D weight of <paramref name="rows"/> rows into this layout.</summary>
    public bool Takes(int rows) => rows % Columns == 0;
}

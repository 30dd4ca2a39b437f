using Parity.Engine.Kernels;
using Parity.Engine.Tests.Support;
using Parity.Gguf;

namespace Parity.Engine.Tests.Kernels;

/// <summary>
/// The KV cache row writers of the type table (<see cref="GgmlTypeTraits.QuantizeRow"/>) against ggml's own CPU
/// <c>from_float</c> of each cache type (the runner's <c>fromfloat</c> verb), byte for byte: what llama.cpp's SET_ROWS
/// stores for a row. The rows mix the shapes a cache sees (values of a few units, a few large outliers) with blocks
/// made to stress the quantizers: every value equal, one value far out, values on rounding midpoints.
/// </summary>
[TestFixture]
public sealed class CacheQuantizerOracleTests
{
    private const int Rows = 48;
    private const int Width = 128;

    [TestCase(GgmlType.Q8_0)]
    [TestCase(GgmlType.Q4_0)]
    [TestCase(GgmlType.Q4_1)]
    [TestCase(GgmlType.Q5_0)]
    [TestCase(GgmlType.Q5_1)]
    [TestCase(GgmlType.IQ4_NL)]
    public async Task A_cache_row_is_stored_as_ggmls_from_float_stores_it(GgmlType type)
    {
        var x = CacheRows();
        var row = GgmlTypeTable.Default[type];
        var expected = await EngineTestModels.Runner.FromFloatAsync(row.Name, x, Path.GetTempPath());
        var rowBytes = (int)row.Layout.RowBytes(Width);
        var actual = new byte[Rows * rowBytes];
        for (var r = 0; r < Rows; r++)
        {
            row.QuantizeRow!(x.AsSpan(r * Width, Width), actual.AsSpan(r * rowBytes, rowBytes));
        }

        var differing = Enumerable.Range(0, Rows * Width / row.BlockSize)
            .Where(b => !actual.AsSpan(b * row.TypeSize, row.TypeSize).SequenceEqual(expected.AsSpan(b * row.TypeSize, row.TypeSize)))
            .ToList();
        Assert.That(differing, Is.Empty, $"{row.Name} blocks that differ from ggml's (first: {string.Join(", ", differing.Take(3))})");
    }

    [Test]
    public async Task A_bf16_cache_row_is_rounded_as_ggml_cpu_fp32_to_bf16_rounds_it()
    {
        var x = CacheRows();
        var expected = await EngineTestModels.Runner.FromFloatAsync("bf16", x, Path.GetTempPath());
        var actual = new float[x.Length];
        ActivationRounding.Bf16(x, actual);
        var bits = actual.Select(v => (ushort)(BitConverter.SingleToUInt32Bits(v) >> 16)).ToArray();
        Assert.That(bits, Is.EqualTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(expected).ToArray()));
    }

    /// <summary>Rows of <see cref="Width"/> values, with special blocks in the first rows.</summary>
    private static float[] CacheRows()
    {
        var rng = new Random(31);
        var x = new float[Rows * Width];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)((rng.NextDouble() - 0.5) * (i % 61 == 0 ? 24 : 3));
        }

        x.AsSpan(32, 32).Fill(0.37f);                                 // every value equal
        x[64] = 1000;                                                 // one far outlier
        for (var j = 0; j < 32; j++)
        {
            x[96 + j] = (j - 16) * 0.5f;                              // midpoints of the 4- and 5-bit grids
            x[128 + j] = -(j % 8) * 0.25f;                            // the largest magnitude negative
        }

        return x;
    }
}

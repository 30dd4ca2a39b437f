using System.Globalization;
using Parity.Engine.Kernels;

namespace Parity.Engine.Tests.Kernels;

/// <summary>
/// ggml's argsort is libstdc++'s std::sort, which is not stable: these vectors (scripts/oracles/std-sort-argsort.cpp,
/// g++ 12) record which of two equal values it puts first, for sizes on both sides of its insertion-sort threshold of 16
/// and inputs with many ties. The engine's routing after an expert tie depends on exactly this order.
/// </summary>
[TestFixture]
public sealed class ArgSortTests
{
    public static IEnumerable<TestCaseData> Vectors() =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Kernels", "argsort-vectors.txt"))
            .Select(line => line.Split(':'))
            .Select(parts => new TestCaseData(parts[0].Trim(), parts[1].Trim()).SetName($"std::sort order for n levels seed = {parts[0].Trim()}"));

    [TestCaseSource(nameof(Vectors))]
    public void Descending_argsort_puts_equal_values_where_std_sort_does(string input, string expected)
    {
        var p = input.Split(' ').Select(x => uint.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        var (n, levels, seed) = ((int)p[0], p[1], p[2]);
        var state = (seed * 7919u) + ((uint)n * 131u) + levels;
        var values = new float[n];
        for (var i = 0; i < n; i++)
        {
            state = (state * 1664525u) + 1013904223u;
            values[i] = (float)((state >> 8) % levels) / levels;
        }

        var indices = new int[n];
        ArgSort.Descending(values, indices);
        Assert.That(string.Join(' ', indices), Is.EqualTo(expected));
    }

    [Test]
    public void Up_to_sixteen_values_equal_ones_keep_their_index_order()
    {
        float[] values = [0.5f, 1f, 0.5f, 1f, 0.25f];
        var indices = new int[5];
        ArgSort.Descending(values, indices);
        Assert.That(indices, Is.EqualTo(new[] { 1, 3, 0, 2, 4 }));
    }
}

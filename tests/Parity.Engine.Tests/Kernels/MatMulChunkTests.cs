using Parity.Engine.Kernels;

namespace Parity.Engine.Tests.Kernels;

/// <summary>How a product's rows are handed out to workers: whole tiles, a few chunks per worker, one chunk alone.</summary>
[TestFixture]
public sealed class MatMulChunkTests
{
    [TestCase(2048, 1, 2048)]
    [TestCase(2048, 2, 128)]
    [TestCase(5632, 2, 352)]
    [TestCase(32000, 2, 2000)]
    [TestCase(256, 2, 16)]
    [TestCase(3, 2, 4)]
    [TestCase(37, 2, 4)]
    public void Chunks_are_whole_tiles_about_eight_per_worker(int rows, int workers, int expected)
    {
        var chunk = MatMul.ChunkRows(rows, workers);
        Assert.That(chunk, Is.EqualTo(expected));
        if (workers > 1)
        {
            Assert.That(chunk % 4, Is.Zero, "two-row tiles and four-row F16 groups never straddle a chunk");
        }
    }
}

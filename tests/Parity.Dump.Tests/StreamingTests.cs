using System.Diagnostics;
using Parity.Dump;
using Parity.Dump.Tests.Support;

namespace Parity.Dump.Tests;

[TestFixture]
public sealed class StreamingTests
{
    private const int ChunkFloats = 1 << 18;
    private const int Chunks = 64;
    private const long DataBytes = (long)ChunkFloats * 4 * Chunks;

    /// <summary>Generous: the copy buffer (1 MiB, pooled), file buffers and the entry list are well under this.</summary>
    private const long AllocationBudgetBytes = 8L << 20;

    [Test]
    public void Writing_a_64_MiB_step_allocates_a_small_fraction_of_the_data()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        var chunk = new float[ChunkFloats];
        var watch = Stopwatch.StartNew();

        using (var run = DumpRunWriter.Create(dir, SampleDumps.RunInfo()))
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            using (var step = run.BeginStep(0))
            {
                for (var i = 0; i < Chunks; i++)
                {
                    chunk[0] = i;
                    chunk[^1] = -i;
                    step.Add($"ffn_out-{i}", "ADD", chunk, [ChunkFloats / 4, 4]);
                }

                step.Complete([1], [0]);
            }

            run.Complete([]);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            TestContext.Out.WriteLine($"allocated {allocated} bytes to write {DataBytes} bytes of tensors");
            Assert.That(allocated, Is.LessThan(AllocationBudgetBytes), $"{allocated} bytes allocated to write {DataBytes} bytes");
        }

        using var read = DumpRun.Open(dir).OpenStep(0);
        var last = read.Get($"ffn_out-{Chunks - 1}");
        Assert.Multiple(() =>
        {
            Assert.That(new FileInfo(read.TensorsPath).Length, Is.GreaterThan(DataBytes));
            Assert.That(read.GetFloats(last)[0], Is.EqualTo(Chunks - 1));
            Assert.That(read.GetFloats(last)[^1], Is.EqualTo(-(Chunks - 1)));
            Assert.That(last.Layer, Is.EqualTo(Chunks - 1));
            Assert.That(last.Shape, Is.EqualTo(new long[] { 4, ChunkFloats / 4 }));
        });
        TestContext.Out.WriteLine($"wrote and reopened {DataBytes >> 20} MiB in {watch.ElapsedMilliseconds} ms");
    }

    /// <summary>
    /// A one-pass reader that releases each tensor after use keeps its resident set near one tensor, not the dump: the
    /// process's file-backed RSS falls back once the touched pages are released (Linux, where release is madvise).
    /// </summary>
    [Test]
    public void Released_tensors_leave_the_resident_set()
    {
        Assume.That(OperatingSystem.IsLinux(), "release is madvise(MADV_DONTNEED), Linux only");
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        var chunk = new float[ChunkFloats];
        using (var run = DumpRunWriter.Create(dir, SampleDumps.RunInfo()))
        {
            using (var step = run.BeginStep(0))
            {
                for (var i = 0; i < Chunks; i++)
                {
                    chunk.AsSpan().Fill(i);
                    step.Add($"ffn_out-{i}", "ADD", chunk, [ChunkFloats / 4, 4]);
                }

                step.Complete([1], [0]);
            }

            run.Complete([]);
        }

        using var read = DumpRun.Open(dir).OpenStep(0);
        var touched = 0.0;
        foreach (var entry in read.Tensors)
        {
            foreach (var v in read.GetFloats(entry))
            {
                touched += v;
            }
        }

        var resident = RssFileBytes();
        foreach (var entry in read.Tensors)
        {
            read.Release(entry);
        }

        var released = RssFileBytes();
        TestContext.Out.WriteLine($"file-backed RSS {resident >> 20} MiB after touching {DataBytes >> 20} MiB, {released >> 20} MiB after release");
        Assert.Multiple(() =>
        {
            Assert.That(touched, Is.EqualTo((double)ChunkFloats * Chunks * (Chunks - 1) / 2));
            Assert.That(resident - released, Is.GreaterThan(DataBytes / 2), "most of the touched pages left the resident set");
            Assert.That(read.GetFloats(read.Get($"ffn_out-{Chunks - 1}"))[^1], Is.EqualTo(Chunks - 1), "and stay readable");
        });
    }

    private static long RssFileBytes()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("RssFile:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}

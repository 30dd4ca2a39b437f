using System.Runtime.InteropServices;
using Parity.Engine.Kernels;
using Parity.Engine.Model;
using Parity.Gguf;

namespace Parity.Engine.Tests.Kernels;

/// <summary>The weights' copies on huge pages: where they lie, what they hold, and that products over them do not change.</summary>
[TestFixture]
public sealed unsafe class ResidentWeightsTests
{
    [Test]
    public void The_arena_is_whole_huge_pages_and_hands_out_64_byte_aligned_pieces_until_it_is_full()
    {
        using var arena = new HugePageArena(HugePageArena.Footprint(100) + HugePageArena.Footprint(3 * 1024 * 1024));
        Assert.That(arena.Capacity, Is.EqualTo(2 * HugePageArena.HugePage));
        var first = arena.Take(100);
        var second = arena.Take(3 * 1024 * 1024);
        Assert.Multiple(() =>
        {
            Assert.That((long)first % HugePageArena.HugePage, Is.Zero, "the block starts on a huge page");
            Assert.That(second - first, Is.EqualTo(128));
            Assert.That((long)second % 64, Is.Zero);
        });

        var left = arena.Capacity - 128 - HugePageArena.Footprint(3 * 1024 * 1024);
        var e = Assert.Throws<InvalidOperationException>(() => arena.Take(left + 1));
        Assert.That(e!.Message, Does.Contain($"{left + 1} bytes asked with {left} of {arena.Capacity} left"));
    }

    [Test]
    public void A_plain_copy_holds_the_files_bytes_and_a_part_of_the_matrix_resolves_inside_it()
    {
        const int rows = 24, cols = 64, rowBytes = cols * 2;
        var data = new byte[rows * rowBytes];
        new Random(3).NextBytes(data);
        var other = new byte[rowBytes];
        var pinned = GCHandle.Alloc(data, GCHandleType.Pinned);
        var pinnedOther = GCHandle.Alloc(other, GCHandleType.Pinned);
        try
        {
            var w = new WeightMatrix("w", GgmlType.F16, rows, cols, rowBytes, (byte*)pinned.AddrOfPinnedObject());
            var elsewhere = new WeightMatrix("x", GgmlType.F16, 1, cols, rowBytes, (byte*)pinnedOther.AddrOfPinnedObject());
            using var resident = ResidentWeights.Build([w, w.Slice(8, 8)], GgmlTypeTable.Default, keepPlain: 0, repack: false);
            var copy = resident.Resolve(w);
            var part = resident.Resolve(w.Slice(8, 8));
            Assert.Multiple(() =>
            {
                Assert.That(resident.Bytes, Is.EqualTo(data.Length), "the part is read from its parent's copy");
                Assert.That(copy.Address, Is.Not.EqualTo(w.Address));
                Assert.That(new ReadOnlySpan<byte>(copy.Data, data.Length).ToArray(), Is.EqualTo(data));
                Assert.That(part.Address, Is.EqualTo(copy.Address + (8 * rowBytes)));
                Assert.That((part.Rows, part.Cols, part.Type), Is.EqualTo((8, cols, GgmlType.F16)));
                Assert.That(resident.Resolve(elsewhere).Address, Is.EqualTo(elsewhere.Address), "a matrix with no copy is itself");
                Assert.That(resident.Find(w) == null, "a plain copy has no interleaved groups");
            });
        }
        finally
        {
            pinned.Free();
            pinnedOther.Free();
        }
    }

    [Test]
    public void The_token_embedding_llama_cpp_keeps_plain_is_not_copied()
    {
        var data = new byte[4 * 128];
        var pinned = GCHandle.Alloc(data, GCHandleType.Pinned);
        try
        {
            var embd = new WeightMatrix("token_embd", GgmlType.F16, 4, 64, 128, (byte*)pinned.AddrOfPinnedObject());
            using var resident = ResidentWeights.Build([embd], GgmlTypeTable.Default, keepPlain: embd.Address, repack: true);
            Assert.Multiple(() =>
            {
                Assert.That(resident.Bytes, Is.Zero);
                Assert.That(resident.Resolve(embd).Address, Is.EqualTo(embd.Address));
            });
        }
        finally
        {
            pinned.Free();
        }
    }

    [TestCase(GgmlType.F16, 1)]
    [TestCase(GgmlType.F16, 5)]
    [TestCase(GgmlType.Q8_0, 1)]
    [TestCase(GgmlType.Q8_0, 5)]
    public void A_product_over_the_copy_equals_the_one_over_the_file(GgmlType type, int n)
    {
        var rng = new Random(17 + n);
        const int rows = 40, cols = 256;
        var rowBytes = type == GgmlType.F16 ? cols * 2 : cols / 32 * 34;
        var data = new byte[rows * rowBytes];
        if (type == GgmlType.F16)
        {
            var halves = MemoryMarshal.Cast<byte, Half>(data.AsSpan());
            for (var i = 0; i < halves.Length; i++)
            {
                halves[i] = (Half)((rng.NextSingle() * 2) - 1);
            }
        }
        else
        {
            rng.NextBytes(data);
            for (var b = 0; b < data.Length; b += 34)
            {
                BitConverter.TryWriteBytes(data.AsSpan(b, 2), (Half)(rng.NextSingle() / 64));
            }
        }

        var x = Enumerable.Range(0, n * cols).Select(_ => (rng.NextSingle() * 2) - 1).ToArray();
        var pinned = GCHandle.Alloc(data, GCHandleType.Pinned);
        try
        {
            var w = new WeightMatrix("w", type, rows, cols, rowBytes, (byte*)pinned.AddrOfPinnedObject());
            var overFile = new float[n * rows];
            var overCopy = new float[n * rows];
            using (var plain = new MatMul(2, cols, ggmlActivationRounding: true))
            {
                plain.Compute(w, x, n, overFile);
            }

            using (var resident = new MatMul(2, cols, ggmlActivationRounding: true, weights: [w]))
            {
                // The file's bytes change after the copy: a product that still read them would differ.
                var original = data.ToArray();
                Array.Clear(data);
                resident.Compute(w, x, n, overCopy);
                original.CopyTo(data, 0);
            }

            Assert.That(overCopy.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(overFile.Select(BitConverter.SingleToInt32Bits)));
        }
        finally
        {
            pinned.Free();
        }
    }
}

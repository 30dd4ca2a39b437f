using Parity.Dump.Tests.Support;

namespace Parity.Dump.Tests;

/// <summary>Our files, read with a safetensors parser that knows nothing of Parity.Dump (see MinimalSafetensors).</summary>
[TestFixture]
public sealed class SafetensorsCompatibilityTests
{
    [Test]
    public void A_step_file_is_plain_safetensors_with_the_shapes_and_values_written()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        SampleDumps.WriteTwoStepRun(dir);
        var file = MinimalSafetensors.Read(Path.Combine(dir, "step-0000", "tensors.safetensors"));

        Assert.Multiple(() =>
        {
            Assert.That(file.TensorNames, Is.EqualTo(new[]
            {
                "inp_embd", "norm-0", "norm-0#1", "Qcur-0", "Qcur-0#1", "Qcur-0#2", "node_12",
                "cache_k_l0 (view) (permuted)", "ffn_gate-0", "cache_v_l0 (view)", "result_output",
            }));
            Assert.That(file.DType("Qcur-0#1"), Is.EqualTo("F32"));
            Assert.That(file.Shape("Qcur-0#1"), Is.EqualTo(new long[] { 3, 4, 4 }));
            Assert.That(file.Shape("Qcur-0"), Is.EqualTo(new long[] { 3, 16 }));
            Assert.That(file.DType("cache_k_l0 (view) (permuted)"), Is.EqualTo("F16"));
            Assert.That(file.Shape("cache_k_l0 (view) (permuted)"), Is.EqualTo(new long[] { 2, 3, 4 }));
            Assert.That(file.DType("ffn_gate-0"), Is.EqualTo("BF16"));
            Assert.That(file.DType("cache_v_l0 (view)"), Is.EqualTo("U8"));
            Assert.That(file.Shape("cache_v_l0 (view)"), Is.EqualTo(new long[] { 34 }));

            var expected = SampleDumps.Values(30, 6);
            Assert.That(BitConverter.SingleToInt32Bits(file.Float32("result_output", 2)), Is.EqualTo(BitConverter.SingleToInt32Bits(expected[2])), "NaN payload");
            Assert.That(file.Float32("result_output", 29), Is.EqualTo(expected[29]));
            Assert.That(file.Float32("inp_embd", 10), Is.EqualTo(SampleDumps.Values(24, 0)[10]));
            Assert.That((float)BitConverter.ToHalf(file.Bytes("cache_k_l0 (view) (permuted)")[6..8]), Is.EqualTo((float)SampleDumps.HalfValues(24)[3]));
        });
    }

    [Test]
    public void The_header_follows_the_safetensors_rules_readers_enforce()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        SampleDumps.WriteTwoStepRun(dir);
        var file = MinimalSafetensors.Read(Path.Combine(dir, "step-0001", "tensors.safetensors"));

        var sizes = new Dictionary<string, int> { ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["U8"] = 1 };
        var ranges = file.TensorNames.Select(n => (Name: n, Range: file.Offsets(n))).OrderBy(x => x.Range.Begin).ToList();
        Assert.Multiple(() =>
        {
            Assert.That((8 + file.HeaderLength) % 8, Is.Zero, "the data section starts 8-byte aligned");
            Assert.That(file.Header["__metadata__"]!.AsObject().Select(p => (p.Key, p.Value!.GetValue<string>())),
                Is.EqualTo(new[] { ("format", "parity-dump"), ("formatVersion", "1") }), "metadata is string to string");
            Assert.That(ranges[0].Range.Begin, Is.Zero);
            for (var i = 1; i < ranges.Count; i++)
            {
                Assert.That(ranges[i].Range.Begin, Is.EqualTo(ranges[i - 1].Range.End), $"{ranges[i].Name} starts where {ranges[i - 1].Name} ends");
            }

            Assert.That(ranges[^1].Range.End, Is.EqualTo(file.Buffer.Length), "the tensors cover the whole buffer");
            foreach (var (name, (begin, end)) in ranges)
            {
                Assert.That(end - begin, Is.EqualTo(file.Shape(name).Aggregate(1L, (a, d) => a * d) * sizes[file.DType(name)]), name);
            }
        });
    }
}

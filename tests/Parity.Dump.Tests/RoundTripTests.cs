using Parity.Dump;
using Parity.Dump.Tests.Support;

namespace Parity.Dump.Tests;

[TestFixture]
public sealed class RoundTripTests
{
    [Test]
    public void A_two_step_run_reads_back_with_its_steps_and_generated_tokens()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        SampleDumps.WriteTwoStepRun(dir);

        var run = DumpRun.Open(dir);
        Assert.Multiple(() =>
        {
            Assert.That(run.StepNames, Is.EqualTo(new[] { "step-0000", "step-0001" }));
            Assert.That(run.StepNumbers, Is.EqualTo(new[] { 0, 1 }));
            Assert.That(run.GeneratedTokens, Is.EqualTo(new[] { 278, 4799 }));
            Assert.That(run.Manifest.Producer, Is.EqualTo(SampleDumps.RunInfo().Producer));
            Assert.That(run.Manifest.Options, Is.EqualTo(SampleDumps.RunInfo().Options));
            Assert.That(run.Manifest.Model.Hyperparameters, Is.EqualTo(SampleDumps.RunInfo().Model.Hyperparameters));
            Assert.That(run.Manifest.Model.WeightTypes, Is.EquivalentTo(SampleDumps.RunInfo().Model.WeightTypes));
            Assert.That(run.Manifest.Prompt.Tokens, Is.EqualTo(new[] { 1, 15043, 29892 }));
            Assert.That(run.Manifest.Notes!["command"], Is.EqualTo("parity dump --prompt Hello"));
            Assert.That(run.Manifest.CreatedUtc, Is.EqualTo(SampleDumps.FixedTime));
        });

        using var step1 = run.OpenStep(1);
        Assert.Multiple(() =>
        {
            Assert.That(step1.Step, Is.EqualTo(1));
            Assert.That(step1.Manifest.Tokens, Is.EqualTo(new[] { 278 }));
            Assert.That(step1.Manifest.Positions, Is.EqualTo(new[] { 3 }));
            Assert.That(step1.Manifest.GeneratedTokens, Is.EqualTo(new[] { 278, 4799 }));
            Assert.That(step1.Get("inp_embd").Shape, Is.EqualTo(new long[] { 8 }), "one token: ne [8,1] drops its trailing 1");
        });
    }

    [Test]
    public void Positioned_reads_give_the_same_floats_as_the_map_for_every_f32_tensor()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        SampleDumps.WriteTwoStepRun(dir);
        using var step = DumpRun.Open(dir).OpenStep(0);
        foreach (var entry in step.Tensors.Where(e => e.DType == DumpDType.F32))
        {
            var read = new float[entry.ElementCount];
            step.ReadFloats(entry, read);
            Assert.That(read, Is.EqualTo(step.GetFloats(entry).ToArray()), entry.Key);
        }
    }

    [Test]
    public void Repeated_and_unnamed_tensors_get_keys_occurrences_and_layers_in_graph_order()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        SampleDumps.WriteTwoStepRun(dir);

        using var step = DumpRun.Open(dir).OpenStep(0);
        var rows = step.Tensors.Select(t => (t.Key, t.Name, t.Op, t.Occurrence, t.Layer)).ToArray();
        Assert.That(rows, Is.EqualTo(new (string, string, string, int, int?)[]
        {
            ("inp_embd", "inp_embd", "GET_ROWS", 0, null),
            ("norm-0", "norm-0", "RMS_NORM", 0, 0),
            ("norm-0#1", "norm-0", "MUL", 1, 0),
            ("Qcur-0", "Qcur-0", "MUL_MAT", 0, 0),
            ("Qcur-0#1", "Qcur-0", "RESHAPE", 1, 0),
            ("Qcur-0#2", "Qcur-0", "ROPE", 2, 0),
            ("node_12", "node_12", "ADD", 0, null),
            ("cache_k_l0 (view) (permuted)", "cache_k_l0 (view) (permuted)", "PERMUTE", 0, null),
            ("ffn_gate-0", "ffn_gate-0", "MUL_MAT", 0, 0),
            ("cache_v_l0 (view)", "cache_v_l0 (view)", "VIEW", 0, null),
            ("result_output", "result_output", "MUL_MAT", 0, null),
        }));

        Assert.Multiple(() =>
        {
            Assert.That(step.TryGet("Qcur-0", 2, out var rope), Is.True);
            Assert.That(rope!.Key, Is.EqualTo("Qcur-0#2"));
            Assert.That(step.TryGet("Qcur-0", 3, out _), Is.False);
            Assert.That(step.GetOccurrences("norm-0").Select(t => t.Op), Is.EqualTo(new[] { "RMS_NORM", "MUL" }));
            Assert.That(step.GetOccurrences("missing"), Is.Empty);
            Assert.That(step.TryGet("nope", out _), Is.False);
            Assert.Throws<KeyNotFoundException>(() => step.Get("nope"));
        });
    }

    [Test]
    public void Shapes_dtypes_and_flags_come_back_as_written()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        SampleDumps.WriteTwoStepRun(dir);

        using var step = DumpStep.Open(Path.Combine(dir, "step-0000"));
        Assert.Multiple(() =>
        {
            var mulMat = step.Get("Qcur-0");
            Assert.That(mulMat.Ne, Is.EqualTo(new long[] { 16, 3, 1, 1 }));
            Assert.That(mulMat.Shape, Is.EqualTo(new long[] { 3, 16 }));
            var reshaped = step.Get("Qcur-0#1");
            Assert.That(reshaped.Ne, Is.EqualTo(new long[] { 4, 4, 3, 1 }));
            Assert.That(reshaped.Shape, Is.EqualTo(new long[] { 3, 4, 4 }));
            Assert.That(step.Get("node_12").Shape, Is.EqualTo(new long[] { 5 }));

            var view = step.Get("cache_k_l0 (view) (permuted)");
            Assert.That(view.MadeContiguous, Is.True);
            Assert.That(view.DType, Is.EqualTo(DumpDType.F16));
            Assert.That(view.GgmlType, Is.EqualTo("f16"));
            Assert.That(view.Shape, Is.EqualTo(new long[] { 2, 3, 4 }));
            Assert.That(step.Get("Qcur-0").MadeContiguous, Is.False);

            var q8 = step.Get("cache_v_l0 (view)");
            Assert.That((q8.DType, q8.GgmlType), Is.EqualTo((DumpDType.U8, "q8_0")));
            Assert.That(q8.Ne, Is.EqualTo(new long[] { 32, 1, 1, 1 }));
            Assert.That(q8.Shape, Is.EqualTo(new long[] { 34 }), "quantized data is raw bytes");

            Assert.That(step.Get("ffn_gate-0").DType, Is.EqualTo(DumpDType.BF16));
        });
    }

    [Test]
    public void Values_come_back_bit_exact_including_nan_payloads_signed_zero_and_subnormals()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        SampleDumps.WriteTwoStepRun(dir);

        using var step0 = DumpStep.Open(Path.Combine(dir, "step-0000"));
        using var step1 = DumpStep.Open(Path.Combine(dir, "step-0001"));
        AssertBits(step0.GetFloats(step0.Get("inp_embd")), SampleDumps.Values(24, 0));
        AssertBits(step0.GetFloats(step0.Get("Qcur-0#2")), SampleDumps.Values(48, 4));
        AssertBits(step0.GetFloats(step0.Get("result_output")), SampleDumps.Values(30, 6));
        AssertBits(step1.GetFloats(step1.Get("norm-0#1")), SampleDumps.Values(8, 102));

        var half = step0.ToFloat32Array(step0.Get("cache_k_l0 (view) (permuted)"));
        Assert.That(half, Is.EqualTo(SampleDumps.HalfValues(24).Select(h => (float)h).ToArray()));

        var bf16 = step0.ToFloat32Array(step0.Get("ffn_gate-0"));
        Assert.That(bf16.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(new[] { 0x3F80_0000, unchecked((int)0xC000_0000), 0x7F80_0000, 0x0001_0000, unchecked((int)0x8000_0000), 0x4049_0000 }));

        Assert.That(step0.GetBytes(step0.Get("cache_v_l0 (view)")).ToArray(), Is.EqualTo(Enumerable.Range(0, 34).Select(i => (byte)(i * 7)).ToArray()));
    }

    [Test]
    public void Floats_of_other_dtypes_need_the_converting_copy_and_the_right_destination_size()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        SampleDumps.WriteTwoStepRun(dir);
        using var step = DumpStep.Open(Path.Combine(dir, "step-0000"));
        var f16 = step.Get("cache_k_l0 (view) (permuted)");
        Assert.Multiple(() =>
        {
            Assert.That(() => step.GetFloats(f16), Throws.InvalidOperationException.With.Message.Contains("CopyAsFloat32"));
            Assert.That(() => step.CopyAsFloat32(f16, new float[3]), Throws.ArgumentException.With.Message.Contains("24 elements"));
            Assert.That(() => step.ToFloat32Array(step.Get("cache_v_l0 (view)")), Throws.InvalidOperationException.With.Message.Contains("U8"));
            var f32 = step.Get("inp_embd");
            var copy = new float[f32.ElementCount];
            step.CopyAsFloat32(f32, copy);
            Assert.That(copy.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(SampleDumps.Values(24, 0).Select(BitConverter.SingleToInt32Bits)));
        });
    }

    [Test]
    public void An_entry_from_another_step_cannot_be_used_to_read_this_one()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        SampleDumps.WriteTwoStepRun(dir);
        using var step0 = DumpStep.Open(Path.Combine(dir, "step-0000"));
        using var step1 = DumpStep.Open(Path.Combine(dir, "step-0001"));
        Assert.That(() => step1.GetBytes(step0.Get("result_output")), Throws.ArgumentException.With.Message.Contains("not an entry"));
    }

    /// <summary>Releasing a tensor's pages (a diff does after each pair) leaves every tensor readable with the same bits.</summary>
    [Test]
    public void Released_tensors_read_back_the_same_bits()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        SampleDumps.WriteTwoStepRun(dir);
        using var step = DumpStep.Open(Path.Combine(dir, "step-0000"));
        var before = step.Tensors.Select(e => step.GetBytes(e).ToArray()).ToList();
        foreach (var entry in step.Tensors)
        {
            step.Release(entry);
        }

        Assert.That(step.Tensors.Select(e => step.GetBytes(e).ToArray()), Is.EqualTo(before));
    }

    [Test]
    public void A_disposed_step_refuses_to_hand_out_views()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        SampleDumps.WriteTwoStepRun(dir);
        var step = DumpStep.Open(Path.Combine(dir, "step-0000"));
        var entry = step.Get("inp_embd");
        step.Dispose();
        Assert.That(() => step.GetBytes(entry), Throws.TypeOf<ObjectDisposedException>());
    }

    [Test]
    public void The_writer_returns_the_manifests_it_wrote()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        var written = SampleDumps.WriteTwoStepRun(dir);
        var read = DumpRun.Open(dir).Manifest;
        Assert.Multiple(() =>
        {
            Assert.That(read.Steps, Is.EqualTo(written.Steps));
            Assert.That(read.GeneratedTokens, Is.EqualTo(written.GeneratedTokens));
            Assert.That(read.Format, Is.EqualTo("parity-dump"));
            Assert.That(read.FormatVersion, Is.EqualTo(1));
        });
    }

    /// <summary>
    /// Every member the writer put in a manifest comes back from the reader: the manifests read are serialized again
    /// (camelCase, as the format says) and compared with the files as JSON trees, so a member the reader skipped or
    /// bound wrongly shows up as a difference.
    /// </summary>
    [Test]
    public void Manifests_read_back_serialize_to_the_json_that_was_written()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        SampleDumps.WriteTwoStepRun(dir);
        var run = DumpRun.Open(dir);
        using var step = run.OpenStep(1);
        var options = new System.Text.Json.JsonSerializerOptions
        {
            PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
            Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
        };
        foreach (var (file, manifest) in new (string, object)[] { (Path.Combine(dir, "run.json"), run.Manifest), (Path.Combine(dir, "step-0001", "manifest.json"), step.Manifest) })
        {
            var written = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file));
            var reread = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(manifest, manifest.GetType(), options));
            Assert.That(System.Text.Json.Nodes.JsonNode.DeepEquals(written, reread), Is.True, $"{file}:\n{written}\nread back as\n{reread}");
        }
    }

    private static void AssertBits(ReadOnlySpan<float> actual, float[] expected)
    {
        var a = actual.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray();
        Assert.That(a, Is.EqualTo(expected.Select(BitConverter.SingleToInt32Bits).ToArray()));
    }
}

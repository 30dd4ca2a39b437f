using System.Text.Json;
using Parity.Dump;
using Parity.Dump.Tests.Support;

namespace Parity.Dump.Tests;

[TestFixture]
public sealed class WriterTests
{
    [Test]
    public void Data_of_the_wrong_length_is_refused_with_the_expected_byte_count()
    {
        using var temp = new TempDirectory();
        using var run = DumpRunWriter.Create(temp.Combine("run"), SampleDumps.RunInfo());
        using var step = run.BeginStep(0);
        Assert.Multiple(() =>
        {
            Assert.That(() => step.Add("x", "ADD", new float[5], [2, 3]), Throws.ArgumentException.With.Message.Contains("expected 24 bytes of data, got 20"));
            Assert.That(() => step.Add("h", "CPY", "f16", [4], false, new byte[4]), Throws.ArgumentException.With.Message.Contains("expected 8 bytes"));
            Assert.That(step.Tensors, Is.Empty, "a refused tensor is not recorded");
        });
        step.Add("x", "ADD", new float[6], [2, 3]);
        Assert.That(step.Tensors.Single().Key, Is.EqualTo("x"), "a refused tensor does not count as an occurrence");
    }

    [TestCase("")]
    [TestCase("a#1")]
    [TestCase("__metadata__")]
    [TestCase("this_name_is_longer_than_sixty_three_bytes_which_ggml_never_allows_x")]
    public void Names_keys_could_not_represent_are_refused(string name)
    {
        using var temp = new TempDirectory();
        using var run = DumpRunWriter.Create(temp.Combine("run"), SampleDumps.RunInfo());
        using var step = run.BeginStep(0);
        Assert.That(() => step.Add(name, "ADD", new float[1], [1]), Throws.ArgumentException);
    }

    [Test]
    public void Dimensions_must_number_one_to_four_and_be_non_negative()
    {
        using var temp = new TempDirectory();
        using var run = DumpRunWriter.Create(temp.Combine("run"), SampleDumps.RunInfo());
        using var step = run.BeginStep(0);
        Assert.Multiple(() =>
        {
            Assert.That(() => step.Add("x", "ADD", new float[1], []), Throws.ArgumentException);
            Assert.That(() => step.Add("x", "ADD", new float[1], [1, 1, 1, 1, 1]), Throws.ArgumentException);
            Assert.That(() => step.Add("x", "ADD", new float[1], [-1]), Throws.ArgumentException);
        });
    }

    [Test]
    public void Steps_are_written_one_at_a_time_in_increasing_order()
    {
        using var temp = new TempDirectory();
        using var run = DumpRunWriter.Create(temp.Combine("run"), SampleDumps.RunInfo());
        var step0 = run.BeginStep(0);
        Assert.That(() => run.BeginStep(1), Throws.InvalidOperationException.With.Message.Contains("step 0 is still being written"));
        Assert.That(() => run.Complete([]), Throws.InvalidOperationException);
        step0.Add("x", "ADD", new float[1], [1]);
        step0.Complete([1], [0]);
        Assert.That(() => step0.Add("y", "ADD", new float[1], [1]), Throws.InvalidOperationException.With.Message.Contains("already complete"));
        Assert.That(() => run.BeginStep(0), Throws.TypeOf<ArgumentOutOfRangeException>());
        using (var step2 = run.BeginStep(2))
        {
            Assert.That(() => step2.Complete([1, 2], [0]), Throws.ArgumentException.With.Message.Contains("1 positions for 2 tokens"));
        }

        var manifest = run.Complete([5]);
        Assert.That(manifest.Steps, Is.EqualTo(new[] { "step-0000" }), "a step disposed without Complete is not part of the run");
    }

    [Test]
    public void A_run_needs_at_least_one_step()
    {
        using var temp = new TempDirectory();
        using var run = DumpRunWriter.Create(temp.Combine("run"), SampleDumps.RunInfo());
        Assert.That(() => run.Complete([]), Throws.InvalidOperationException.With.Message.Contains("at least one"));
    }

    [Test]
    public void An_empty_step_is_a_valid_step()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        using (var run = DumpRunWriter.Create(dir, SampleDumps.RunInfo()))
        {
            using (var step = run.BeginStep(0))
            {
                step.Complete([1], [0]);
            }

            run.Complete([]);
        }

        using var read = DumpRun.Open(dir).OpenStep(0);
        Assert.That(read.Tensors, Is.Empty);
    }

    [Test]
    public void Manifests_are_indented_camel_case_json_with_format_version_1()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        SampleDumps.WriteTwoStepRun(dir);
        var text = File.ReadAllText(Path.Combine(dir, "step-0000", "manifest.json"));
        using var doc = JsonDocument.Parse(text);
        var root = doc.RootElement;
        var tensor = root.GetProperty("tensors")[4];
        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Contain("\n  \"formatVersion\": 1,"));
            Assert.That(root.GetProperty("format").GetString(), Is.EqualTo("parity-dump"));
            Assert.That(root.GetProperty("tensorsFile").GetString(), Is.EqualTo("tensors.safetensors"));
            Assert.That(root.GetProperty("producer").GetProperty("ggmlVersion").GetString(), Is.EqualTo("0.9.4"));
            Assert.That(root.GetProperty("options").GetProperty("nCtx").GetInt32(), Is.EqualTo(256));
            Assert.That(root.GetProperty("options").GetProperty("filter").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(root.GetProperty("model").GetProperty("hyperparameters").GetProperty("nHeadKv").GetInt32(), Is.EqualTo(2));
            Assert.That(root.GetProperty("model").GetProperty("hyperparameters").GetProperty("rmsEps").GetRawText(), Is.EqualTo("1E-05"));
            Assert.That(root.GetProperty("model").GetProperty("weightTypes").GetProperty("f32").GetInt32(), Is.EqualTo(19));
            Assert.That(root.GetProperty("createdUtc").GetString(), Is.EqualTo("2025-01-02T03:04:05+00:00"));
            Assert.That(tensor.GetProperty("key").GetString(), Is.EqualTo("Qcur-0#1"));
            Assert.That(tensor.GetProperty("dtype").GetString(), Is.EqualTo("F32"));
            Assert.That(tensor.GetProperty("ne").GetRawText(), Is.EqualTo("[4, 4, 3, 1]"), "integer lists stay on one line");
            Assert.That(tensor.GetProperty("madeContiguous").GetBoolean(), Is.False);
            Assert.That(tensor.GetProperty("layer").GetInt32(), Is.Zero);
            Assert.That(root.GetProperty("tensors")[0].GetProperty("layer").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(root.GetProperty("tensors")[7].GetProperty("key").GetString(), Is.EqualTo("cache_k_l0 (view) (permuted)"));
        });

        using var runDoc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")));
        Assert.Multiple(() =>
        {
            Assert.That(runDoc.RootElement.GetProperty("formatVersion").GetInt32(), Is.EqualTo(1));
            Assert.That(runDoc.RootElement.GetProperty("steps").GetArrayLength(), Is.EqualTo(2));
            Assert.That(runDoc.RootElement.GetProperty("notes").GetProperty("command").GetString(), Is.EqualTo("parity dump --prompt Hello"));
        });
    }
}

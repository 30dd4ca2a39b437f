using Parity.Dump;
using Parity.Dump.Tests.Support;

namespace Parity.Dump.Tests;

[TestFixture]
public sealed class AtomicityTests
{
    [Test]
    public void A_run_writer_disposed_without_complete_leaves_no_directory()
    {
        using var temp = new TempDirectory();
        using (var run = DumpRunWriter.Create(temp.Combine("run"), SampleDumps.RunInfo()))
        {
            using (var step = run.BeginStep(0))
            {
                SampleDumps.WriteLayerStep(step, 3, seed: 0);
                step.Complete([1, 2, 3], [0, 1, 2]);
            }

            var open = run.BeginStep(1);
            open.Add("x", "ADD", new float[4], [4]);
        }

        Assert.That(temp.Entries(), Is.Empty);
    }

    [Test]
    public void What_a_killed_writer_left_beside_the_target_is_swept_and_a_live_writers_work_is_kept()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        using var dead = System.Diagnostics.Process.Start("true")!;
        dead.WaitForExit();
        Directory.CreateDirectory($"{dir}.tmp-{dead.Id}-0badc0de");
        File.WriteAllText($"{dir}.tmp-{dead.Id}", "partial");
        Directory.CreateDirectory($"{dir}.tmp-{Environment.ProcessId}-0livefff");

        using var run = DumpRunWriter.Create(dir, SampleDumps.RunInfo());

        var left = temp.Entries();
        Assert.That(left, Has.None.StartsWith($"run.tmp-{dead.Id}-").And.None.EqualTo($"run.tmp-{dead.Id}"));
        Assert.That(left, Does.Contain($"run.tmp-{Environment.ProcessId}-0livefff"), "a running process's output is not touched");
    }

    [Test]
    public void The_run_is_written_beside_the_target_and_appears_under_its_name_only_when_complete()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        using var run = DumpRunWriter.Create(dir, SampleDumps.RunInfo());
        Assert.Multiple(() =>
        {
            Assert.That(Path.GetDirectoryName(run.TemporaryDirectory), Is.EqualTo(temp.Path));
            Assert.That(Path.GetFileName(run.TemporaryDirectory), Does.StartWith($"run.tmp-{Environment.ProcessId}-"));
        });

        using (var step = run.BeginStep(0))
        {
            SampleDumps.WriteLayerStep(step, 3, seed: 0);
            Assert.That(Directory.Exists(dir), Is.False, "while tensors are added");
            step.Complete([1, 2, 3], [0, 1, 2]);
        }

        Assert.That(Directory.Exists(dir), Is.False, "after a step completes");
        run.Complete([]);
        Assert.Multiple(() =>
        {
            Assert.That(temp.Entries(), Is.EqualTo(new[] { "run" }), "no temporary directory left beside it");
            Assert.That(File.Exists(Path.Combine(dir, "run.json")), Is.True);
            Assert.That(Directory.GetFiles(Path.Combine(dir, "step-0000")).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "manifest.json", "tensors.safetensors" }), "no temporary data file left");
        });
    }

    [Test]
    public void A_completed_run_replaces_an_existing_run_directory_whole()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        SampleDumps.WriteTwoStepRun(dir);
        File.WriteAllText(Path.Combine(dir, "stale.txt"), "from the old run");

        using (var run = DumpRunWriter.Create(dir, SampleDumps.RunInfo("Bye")))
        {
            using (var step = run.BeginStep(0))
            {
                step.Add("only", "NONE", new float[] { 42f }, [1]);
                step.Complete([7], [0]);
            }

            Assert.That(DumpRun.Open(dir).StepCount, Is.EqualTo(2), "the old run stays readable until the new one completes");
            run.Complete([9]);
        }

        var replaced = DumpRun.Open(dir);
        Assert.Multiple(() =>
        {
            Assert.That(temp.Entries(), Is.EqualTo(new[] { "run" }), "the old run was removed, not left aside");
            Assert.That(File.Exists(Path.Combine(dir, "stale.txt")), Is.False);
            Assert.That(Directory.Exists(Path.Combine(dir, "step-0001")), Is.False);
            Assert.That(replaced.Manifest.Prompt.Text, Is.EqualTo("Bye"));
            Assert.That(replaced.GeneratedTokens, Is.EqualTo(new[] { 9 }));
        });
    }

    [Test]
    public void A_failed_run_leaves_an_existing_run_untouched()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("run");
        SampleDumps.WriteTwoStepRun(dir);
        var before = File.ReadAllBytes(Path.Combine(dir, "step-0001", "tensors.safetensors"));

        using (var run = DumpRunWriter.Create(dir, SampleDumps.RunInfo("Bye")))
        {
            using var step = run.BeginStep(0);
            step.Add("partial", "NONE", new float[] { 1f }, [1]);

            // The producer crashes here: neither the step nor the run is completed.
        }

        Assert.Multiple(() =>
        {
            Assert.That(temp.Entries(), Is.EqualTo(new[] { "run" }));
            Assert.That(File.ReadAllBytes(Path.Combine(dir, "step-0001", "tensors.safetensors")), Is.EqualTo(before));
            Assert.That(DumpRun.Open(dir).Manifest.Prompt.Text, Is.EqualTo("Hello"));
        });
    }

    [Test]
    public void A_run_cannot_replace_a_file()
    {
        using var temp = new TempDirectory();
        var path = temp.Combine("run");
        File.WriteAllText(path, "not a run");
        Assert.That(() => DumpRunWriter.Create(path, SampleDumps.RunInfo()), Throws.TypeOf<IOException>());
        Assert.That(temp.Entries(), Is.EqualTo(new[] { "run" }));
    }

    [Test]
    public void A_missing_parent_directory_is_created()
    {
        using var temp = new TempDirectory();
        var dir = temp.Combine("a", "b", "run");
        using (var run = DumpRunWriter.Create(dir, SampleDumps.RunInfo()))
        {
            using (var step = run.BeginStep(0))
            {
                step.Complete([1], [0]);
            }

            run.Complete([]);
        }

        Assert.That(DumpRun.Open(dir).StepCount, Is.EqualTo(1));
    }
}

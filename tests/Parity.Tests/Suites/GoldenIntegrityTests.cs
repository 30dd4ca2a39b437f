using Parity.Cli;
using Parity.Harness.Compare;
using Parity.Harness.Suites;
using Parity.Tests.Support;

namespace Parity.Tests.Suites;

/// <summary>A deleted or damaged golden file fails its case with a message naming the file, before any comparison.</summary>
[TestFixture]
public sealed class GoldenIntegrityTests
{
    private const string Case = "mini-q4_k_m-story7";

    [TestCase("step-0001/tensors.safetensors")]
    [TestCase("step-0000/manifest.json")]
    [TestCase("run.json")]
    public async Task A_corrupted_golden_file_fails_the_case_naming_the_file(string relative)
    {
        using var workspace = SuiteWorkspace.CopyOfCi(Case);
        var path = workspace.GoldenFile(Case, relative);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[bytes.Length / 2] ^= 0x10;
        await File.WriteAllBytesAsync(path, bytes);

        var result = await Check(workspace);

        Assert.That(result.Verdict, Is.EqualTo(CaseVerdict.Error));
        Assert.That(result.Summary, Does.Contain(path).And.Contain("corrupt"));
    }

    [TestCase("step-0000/tensors.safetensors")]
    [TestCase("SHA256SUMS")]
    public async Task A_deleted_golden_file_fails_the_case_naming_the_file(string relative)
    {
        using var workspace = SuiteWorkspace.CopyOfCi(Case);
        var path = workspace.GoldenFile(Case, relative);
        File.Delete(path);

        var result = await Check(workspace);

        Assert.That(result.Verdict, Is.EqualTo(CaseVerdict.Error));
        Assert.That(result.Summary, Does.Contain(path).And.Contain("missing"));
    }

    [Test]
    public void Parity_check_exits_2_and_names_the_file_and_the_other_cases_still_run()
    {
        using var workspace = SuiteWorkspace.CopyOfCi(Case, "mini-f32-bos");
        var path = workspace.GoldenFile(Case, "step-0001/tensors.safetensors");
        File.Delete(path);

        var (code, stdout, stderr) = ParityCli.Run("check", "--suite", workspace.Directory);

        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), stdout + stderr);
        Assert.That(stdout, Does.Contain($"ERROR {Case}").And.Contain(path));
        Assert.That(stdout, Does.Contain("PASS  mini-f32-bos"));
        Assert.That(stdout, Does.Contain("1 passed, 0 failed, 1 errors, 0 skipped"));
    }

    [Test]
    public void A_case_without_a_golden_says_how_to_make_one()
    {
        using var workspace = SuiteWorkspace.CopyOfCi(Case);
        Directory.Delete(Path.Combine(workspace.Directory, "goldens", Case), recursive: true);

        var (code, stdout, _) = ParityCli.Run("check", "--suite", workspace.Directory);

        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(stdout, Does.Contain("golden directory is missing").And.Contain($"parity regen --suite ci --case {Case}"));
    }

    private static Task<CaseResult> Check(SuiteWorkspace workspace)
    {
        var suite = workspace.Suite;
        return new SuiteChecker(new SuiteModelResolver(Models.Cache), TolerancePolicy.Load(TolerancePolicy.DefaultPath), workspace.Directory)
            .CheckAsync(suite, suite.Cases.Single());
    }
}

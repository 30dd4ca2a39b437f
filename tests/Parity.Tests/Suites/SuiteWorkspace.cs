using System.Text.Json;
using System.Text.Json.Nodes;
using Parity.Harness.Suites;
using Parity.Tests.Support;

namespace Parity.Tests.Suites;

/// <summary>
/// A scratch suite for tests that damage goldens, change snapshots or regenerate: cases taken from the committed ci
/// suite (with their goldens and verified snapshots copied) or written fresh, in a temporary directory.
/// </summary>
internal sealed class SuiteWorkspace : IDisposable
{
    private readonly TempDirectory _temp = new();

    private SuiteWorkspace()
    {
    }

    public string Directory => _temp.Path;

    public Suite Suite => Suite.Load(Path.Combine(Directory, Suite.FileName));

    public static string CiDirectory => Path.Combine(RepoRoot.Find(), "reference-data", "suites", "ci");

    public static Suite Ci => Suite.Load(Path.Combine(CiDirectory, Suite.FileName));

    /// <summary>A copy of the ci suite restricted to <paramref name="caseNames"/>, goldens and snapshots included.</summary>
    public static SuiteWorkspace CopyOfCi(params string[] caseNames)
    {
        var workspace = new SuiteWorkspace();
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(CiDirectory, Suite.FileName)))!.AsObject();
        var cases = json["cases"]!.AsArray().Where(c => caseNames.Contains((string)c!["name"]!)).Select(c => c!.DeepClone()).ToArray();
        Assert.That(cases, Has.Length.EqualTo(caseNames.Length), "every requested case exists in the ci suite");
        json["cases"] = new JsonArray(cases);
        File.WriteAllText(Path.Combine(workspace.Directory, Suite.FileName), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        foreach (var name in caseNames)
        {
            Copy(Path.Combine(CiDirectory, "goldens", name), Path.Combine(workspace.Directory, "goldens", name));
            System.IO.Directory.CreateDirectory(Path.Combine(workspace.Directory, "snapshots"));
            File.Copy(Path.Combine(CiDirectory, "snapshots", name + ".verified.json"), Path.Combine(workspace.Directory, "snapshots", name + ".verified.json"));
        }

        return workspace;
    }

    /// <summary>A new suite with the given suite.json text and no goldens.</summary>
    public static SuiteWorkspace Fresh(string suiteJson)
    {
        var workspace = new SuiteWorkspace();
        File.WriteAllText(Path.Combine(workspace.Directory, Suite.FileName), suiteJson);
        return workspace;
    }

    public string GoldenFile(string caseName, string relative) => Path.Combine(Directory, "goldens", caseName, relative);

    /// <summary>SHA-256 of every file under goldens/, by relative path: "byte-identical" made checkable.</summary>
    public SortedDictionary<string, string> GoldenHashes()
    {
        var root = Path.Combine(Directory, "goldens");
        var hashes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in System.IO.Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            hashes[Path.GetRelativePath(root, file)] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(file)));
        }

        return hashes;
    }

    public void Dispose() => _temp.Dispose();

    private static void Copy(string source, string destination)
    {
        System.IO.Directory.CreateDirectory(destination);
        foreach (var file in System.IO.Directory.EnumerateFiles(source))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        }

        foreach (var dir in System.IO.Directory.EnumerateDirectories(source))
        {
            Copy(dir, Path.Combine(destination, Path.GetFileName(dir)));
        }
    }
}

namespace Parity.Tests.Support;

/// <summary>Finds the repository root (the directory holding Parity.sln) above the test binaries.</summary>
internal static class RepoRoot
{
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Parity.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Parity.sln above {AppContext.BaseDirectory}");
    }
}

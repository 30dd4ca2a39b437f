namespace Parity.Engine.Tests.Tokenizer;

/// <summary>A scratch directory for one test, deleted on dispose.</summary>
internal sealed class TokenizerTempDirectory : IDisposable
{
    public TokenizerTempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "parity-tests", "tok-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A mapped file may still be closing; the OS temp cleaner gets it.
        }
    }
}

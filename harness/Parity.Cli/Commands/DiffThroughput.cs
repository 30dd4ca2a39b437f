using System.Globalization;

namespace Parity.Cli.Commands;

/// <summary>How fast a diff read its dumps, and how much memory it held: the numbers docs/performance.md reports.</summary>
public static class DiffThroughput
{
    public static string Describe(string runA, string runB, TimeSpan elapsed)
    {
        var bytes = new[] { runA, runB }.Sum(d => Directory.EnumerateFiles(d, "tensors.safetensors", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length));
        var anon = Parity.Runner.ProcessMemory.AnonymousResidentBytes / 1024;
        return string.Create(CultureInfo.InvariantCulture,
            $"diff read {bytes / 1e6:F0} MB of tensors in {elapsed.TotalSeconds:F2} s ({bytes / 1e9 / elapsed.TotalSeconds:F2} GB/s); process anonymous memory {anon / 1024.0:F0} MB, managed heap peak {GC.GetGCMemoryInfo(GCKind.Any).HeapSizeBytes / 1e6:F0} MB");
    }
}

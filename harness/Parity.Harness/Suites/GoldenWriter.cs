using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Parity.Dump;
using Parity.Harness.Compare;
using Parity.Harness.Graph;

namespace Parity.Harness.Suites;

/// <summary>
/// Turns a llama.cpp dump into a golden: a dump in the same format holding only what a comparison reads. Tensors the
/// graph descriptor of the dump's architecture does not compare (ggml's views, permutes and KV cache buffers) are
/// dropped, and masked attention rows keep only the <c>n_past + n_tokens</c> attended columns of llama.cpp's padded
/// KV length.
/// Values are copied byte for byte (F32, never converted). A <c>SHA256SUMS</c> file lists every file, so a damaged
/// golden is named by file before any comparison.
/// </summary>
public static class GoldenWriter
{
    public const string ChecksumFileName = "SHA256SUMS";

    /// <summary>Run.json note saying what the compaction kept, so a reader knows the golden is not a full dump.</summary>
    public static string CompactionNote(GraphDescriptor graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return $"golden: only the tensors the graph descriptor compares; {string.Join(" and ", graph.MaskedAttentionStems)} trimmed to the n_past + n_tokens attended columns; values copied byte for byte";
    }

    public static RunManifest Write(string sourceRun, string goldenDirectory, IReadOnlyDictionary<string, string> provenance)
    {
        ArgumentNullException.ThrowIfNull(provenance);
        var source = DumpRun.Open(sourceRun);
        var map = GraphDescriptors.For(source.Manifest.Model.Architecture).ForFlashAttention(source.Manifest.Options.FlashAttention);
        var notes = new Dictionary<string, string>(source.Manifest.Notes ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        foreach (var (k, v) in provenance)
        {
            notes[k] = v;
        }

        notes["compaction"] = CompactionNote(map);
        var info = new DumpRunInfo
        {
            // The machine-local library path says nothing to a reader of a committed golden; the variant and commit do.
            Producer = source.Manifest.Producer with { LibraryPath = source.Manifest.Producer.LibraryVariant is { } variant ? "llama.cpp/linux-x64/" + variant : null },
            Model = source.Manifest.Model with { Path = provenance.TryGetValue("model", out var m) ? m : Path.GetFileName(source.Manifest.Model.Path) },
            Prompt = source.Manifest.Prompt,
            Options = source.Manifest.Options,
            Notes = notes,
        };

        // Times come from the source dump, so regenerating identical data gives identical files.
        using var writer = DumpRunWriter.Create(goldenDirectory, info, new FixedTime(source.Manifest.CreatedUtc));
        for (var i = 0; i < source.StepCount; i++)
        {
            using var step = source.OpenStep(i);
            using var stepWriter = writer.BeginStep(step.Step);
            var nKv = step.Manifest.Positions[^1] + 1;
            foreach (var entry in step.Tensors)
            {
                if (map.IgnoreReason(entry.Name) is not null)
                {
                    continue;
                }

                var bytes = step.GetBytes(entry);
                if (map.NodeOf(entry.Name, entry.Occurrence) is { MaskedAttention: true } && entry.DType == DumpDType.F32 && entry.Ne[0] > nKv)
                {
                    var ne = entry.Ne.ToArray();
                    var padded = MemoryMarshal.Cast<byte, float>(bytes);
                    var trimmed = new float[padded.Length / (int)ne[0] * nKv];
                    PaddedRows.CopyLeading(padded, (int)ne[0], trimmed, nKv);
                    ne[0] = nKv;
                    stepWriter.Add(entry.Name, entry.Op, entry.GgmlType, ne, entry.MadeContiguous, MemoryMarshal.AsBytes(trimmed.AsSpan()));
                }
                else
                {
                    stepWriter.Add(entry.Name, entry.Op, entry.GgmlType, entry.Ne.ToArray(), entry.MadeContiguous, bytes);
                }
            }

            stepWriter.Complete(step.Manifest.Tokens, step.Manifest.Positions, step.Manifest.GeneratedTokens);
        }

        var manifest = writer.Complete(source.Manifest.GeneratedTokens);

        // Goldens are written inside a staging tree that is swapped in whole, so the checksum file need not appear
        // in the same rename as the run; it is still written to a temporary name first.
        var files = new List<string> { DumpFormat.RunManifestFileName };
        foreach (var step in manifest.Steps)
        {
            files.Add(step + "/" + DumpFormat.StepManifestFileName);
            files.Add(step + "/" + DumpFormat.TensorsFileName);
        }

        var sums = Path.Combine(goldenDirectory, ChecksumFileName);
        File.WriteAllText(sums + ".tmp", ChecksumText(goldenDirectory, files));
        File.Move(sums + ".tmp", sums, overwrite: true);
        return manifest;
    }

    /// <summary>
    /// Checks every file <c>SHA256SUMS</c> lists. Returns null when the golden is intact, else what is wrong, naming
    /// the file.
    /// </summary>
    public static string? Verify(string goldenDirectory)
    {
        var sums = Path.Combine(goldenDirectory, ChecksumFileName);
        if (!Directory.Exists(goldenDirectory))
        {
            return $"{goldenDirectory}: the golden directory is missing";
        }

        if (!File.Exists(sums))
        {
            return $"{sums}: missing (every golden lists its files' SHA-256 there)";
        }

        foreach (var (line, number) in File.ReadAllLines(sums).Select((l, i) => (l, i + 1)))
        {
            var parts = line.Split("  ", 2);
            if (parts.Length != 2 || parts[0].Length != 64)
            {
                return $"{sums}: line {number} is not '<sha256>  <file>'";
            }

            var path = Path.Combine(goldenDirectory, parts[1]);
            if (!File.Exists(path))
            {
                return $"{path}: missing from the golden (listed in {ChecksumFileName})";
            }

            var actual = Sha256(path);
            if (!string.Equals(actual, parts[0], StringComparison.Ordinal))
            {
                return $"{path}: corrupt golden file (sha256 {actual}, {ChecksumFileName} says {parts[0]})";
            }
        }

        return null;
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private sealed class FixedTime(DateTimeOffset time) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => time;
    }

    internal static string ChecksumText(string directory, IEnumerable<string> relativeFiles)
    {
        var text = new StringBuilder();
        foreach (var file in relativeFiles)
        {
            text.Append(Sha256(Path.Combine(directory, file))).Append("  ").Append(file.Replace('\\', '/')).Append('\n');
        }

        return text.ToString();
    }
}

using System.Text;
using Parity.Dump;
using Parity.Gguf;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Fuzz;

/// <summary>
/// The fuzzer's findings kept as a regression suite: hundreds of damaged GGUF files and dumps, each through the verbs
/// that read them. Every one must end in a verdict or a clear refusal (exit 0, 1 or 2), never an internal error (125)
/// or an unhandled exception, leave nothing half-written, and a damaged reference tensor must never let parity hold.
/// The mutations come from a fixed seed, so a failure names a reproducible case.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FuzzTests
{
    private const int GgufCases = 320;
    private const int DumpCases = 120;

    /// <summary>The whole test process, which also holds what earlier tests loaded.</summary>
    private const long PeakMemoryLimit = 1L << 30;

    /// <summary>A model small enough to write hundreds of times, with every tensor kind llama has.</summary>
    private static readonly SyntheticPreset Tiny = SyntheticPresets.Micro with
    {
        Name = "fuzz-tiny",
        NEmbd = 64,
        NFf = 128,
        NLayer = 1,
        NHead = 2,
        NHeadKv = 1,
        VocabSize = SyntheticVocabulary.MinimumSize,
    };

    [Test]
    public void Damaged_GGUF_files_are_read_or_refused_by_name_never_crash()
    {
        using var temp = new TempDirectory();
        using var memory = new PeakMemory();
        var original = temp.File("tiny.gguf");
        SyntheticModel.Write(Tiny, original);
        var bytes = File.ReadAllBytes(original);
        var rng = new Random(0x6617);
        var failures = new List<string>();
        var refused = 0;
        for (var i = 0; i < GgufCases; i++)
        {
            var (what, mutated) = MutateGguf(original, bytes, rng, temp.File($"m{i}.gguf"));
            foreach (var args in new[] { new[] { "model", "info", mutated }, ["dump", "--side", "engine", "--model", mutated, "--tokens", "1,5", "--out", temp.File($"d{i}")] })
            {
                var (code, _, stderr) = ParityCli.Run(args);
                refused += code == 2 ? 1 : 0;
                if (code is not (0 or 2) || (code == 2 && !stderr.Contains("parity: ", StringComparison.Ordinal)))
                {
                    failures.Add($"case {i} ({what}), {args[0]}: exit {code}: {stderr.Trim()}");
                }
            }

            if (Directory.EnumerateFileSystemEntries(temp.Path, $"d{i}.tmp-*").Any())
            {
                failures.Add($"case {i} ({what}): a half-written dump was left behind");
            }

            File.Delete(mutated);
        }

        TestContext.Out.WriteLine($"{GgufCases} damaged files, {refused} refusals over {2 * GgufCases} verb runs");
        Assert.That(failures, Is.Empty, string.Join('\n', failures));
        Assert.That(refused, Is.GreaterThan(GgufCases / 2), "most damage is noticed (the rest hits tensor data)");
        Assert.That(memory.PeakBytes, Is.LessThan(PeakMemoryLimit), "no damaged count balloons the process");
    }

    [Test]
    public async Task Damaged_reference_dumps_are_refused_or_fail_parity_never_hold_and_never_crash()
    {
        using var temp = new TempDirectory();
        using var memory = new PeakMemory();
        var model = temp.File("tiny.gguf");
        SyntheticModel.Write(Tiny, model);
        var runs = new PlantedRuns(model, temp.Path);
        var reference = await runs.ReferenceAsync("Hello", steps: 1);
        var engine = runs.Engine(reference, new PlantedBug());
        var (clean, cleanOut, cleanErr) = ParityCli.Run("diff", engine, reference.Directory, "--out", temp.File("clean"));
        Assert.That(clean, Is.Zero, cleanOut + cleanErr);

        var rng = new Random(0xD0D0);
        var files = Directory.EnumerateFiles(reference.Directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var failures = new List<string>();
        var dataCases = 0;
        for (var i = 0; i < DumpCases; i++)
        {
            var copy = temp.File($"ref{i}");
            CopyDirectory(reference.Directory, copy);
            var tensors = files.Where(f => f.EndsWith(".safetensors", StringComparison.Ordinal)).ToList();
            var pick = i % 2 == 0 ? tensors[rng.Next(tensors.Count)] : files[rng.Next(files.Count)];
            var target = pick.Replace(reference.Directory, copy, StringComparison.Ordinal);
            var engineFile = Path.Combine(engine, Path.GetRelativePath(copy, target));
            var (what, tensor) = i % 2 == 0 ? FlipComparedTensor(target, engineFile, rng) : MutateDumpFile(target, rng);
            var touchesData = tensor is not null && ComparedIn(engineFile, tensor);
            dataCases += touchesData ? 1 : 0;
            var (code, stdout, stderr) = ParityCli.Run("diff", engine, copy, "--out", temp.File($"o{i}"));
            if (code is not (0 or 1 or 2))
            {
                failures.Add($"case {i} ({what} in {Path.GetFileName(target)}): exit {code}: {stderr.Trim()}");
            }
            else if (touchesData && code == 0)
            {
                failures.Add($"case {i} ({what} in {Path.GetFileName(target)}): PARITY HOLDS on a changed tensor: {stdout}");
            }

            Directory.Delete(copy, recursive: true);
        }

        TestContext.Out.WriteLine($"{DumpCases} damaged reference dumps, {dataCases} with a compared tensor's bits changed");
        Assert.That(failures, Is.Empty, string.Join('\n', failures));
        Assert.That(dataCases, Is.GreaterThan(DumpCases / 10), "enough cases change a compared tensor");
        Assert.That(memory.PeakBytes, Is.LessThan(PeakMemoryLimit), "no damaged count balloons the process");
    }

    /// <summary>One damage to the file: raw bytes (truncation, flips, huge counts) or a structural edit through the writer.</summary>
    private static (string What, string Path) MutateGguf(string original, byte[] bytes, Random rng, string path)
    {
        var header = (int)Math.Min(bytes.Length, FirstTensorOffset(original));
        switch (rng.Next(7))
        {
            case 0:
                var cut = rng.Next(bytes.Length);
                File.WriteAllBytes(path, bytes[..cut]);
                return ($"truncated at {cut}", path);
            case 1:
            case 2:
                var flipped = (byte[])bytes.Clone();
                var at = rng.Next(header);
                flipped[at] ^= (byte)(1 << rng.Next(8));
                File.WriteAllBytes(path, flipped);
                return ($"bit flip at {at}", path);
            case 3:
                var huge = (byte[])bytes.Clone();
                var where = rng.Next(Math.Max(1, header - 8));
                BitConverter.TryWriteBytes(huge.AsSpan(where, 8), ulong.MaxValue >> rng.Next(32));
                File.WriteAllBytes(path, huge);
                return ($"huge u64 at {where}", path);
            default:
                return Rewrite(original, rng, path);
        }
    }

    private static (string What, string Path) Rewrite(string original, Random rng, string path)
    {
        using var file = GgufFile.Open(original);
        var keys = file.Metadata.Select(m => m.Key).ToList();
        var tensors = file.Tensors.Select(t => t.Name).ToList();
        var key = keys[rng.Next(keys.Count)];
        var tensor = tensors[rng.Next(tensors.Count)];
        var kind = rng.Next(5);
        GgufValue[] replacements = [GgufValue.Of(2.5f), GgufValue.Of("text"), GgufValue.Of(0u), GgufValue.Of(-3), GgufValue.Array(new uint[] { 1, 2 }), GgufValue.Of(double.NaN)];
        var replacement = replacements[rng.Next(replacements.Length)];
        var writer = new GgufWriter(file.Version);
        foreach (var (k, v) in file.Metadata)
        {
            if (kind == 0 && k == key)
            {
                continue;
            }

            writer.Add(k, kind == 1 && k == key ? replacement : v);
        }

        foreach (var t in file.Tensors)
        {
            var info = t;
            if (kind == 2 && t.Name == tensor)
            {
                continue;
            }

            long[] dims = kind == 3 && t.Name == tensor ? [.. t.Dimensions.Reverse()] : [.. t.Dimensions];
            writer.AddTensor(t.Name, t.Type, dims, s => s.Write(file.GetTensorBytes(info)));
        }

        if (kind == 4)
        {
            writer.AddTensor("blk.0.attn_q.bias", GgmlType.F32, [64], new byte[256]);
        }

        writer.WriteTo(path);
        return (kind switch
        {
            0 => $"key {key} removed",
            1 => $"key {key} set to {replacement.Type}",
            2 => $"tensor {tensor} removed",
            3 => $"tensor {tensor} dims reversed",
            _ => "an extra bias tensor",
        }, path);
    }

    private static long FirstTensorOffset(string path)
    {
        using var file = GgufFile.Open(path);
        return file.DataOffset;
    }

    /// <summary>One damage to a dump file, and the tensor whose payload it changed, if any (which must never pass).</summary>
    private static (string What, string? Tensor) MutateDumpFile(string path, Random rng)
    {
        var bytes = File.ReadAllBytes(path);
        if (path.EndsWith(".json", StringComparison.Ordinal))
        {
            switch (rng.Next(4))
            {
                case 0:
                    File.WriteAllBytes(path, bytes[..rng.Next(bytes.Length)]);
                    return ("truncated JSON", null);
                case 1:
                    bytes[rng.Next(bytes.Length)] = 0xFF;
                    File.WriteAllBytes(path, bytes);
                    return ("invalid UTF-8", null);
                case 2:
                    var text = Encoding.UTF8.GetString(bytes);
                    var quote = text.IndexOf(':', rng.Next(text.Length));
                    File.WriteAllText(path, quote < 0 ? text : text[..(quote + 1)] + " [] ," + text[(quote + 1)..]);
                    return ("a value of the wrong type", null);
                default:
                    File.Delete(path);
                    Directory.CreateDirectory(path);
                    return ("replaced by a directory", null);
            }
        }

        var headerEnd = 8 + (int)Math.Min(bytes.Length - 8, (long)BitConverter.ToUInt64(bytes, 0));
        if (rng.Next(2) == 0 || headerEnd >= bytes.Length)
        {
            var at = rng.Next(Math.Min(bytes.Length, headerEnd));
            bytes[at] ^= (byte)(1 << rng.Next(8));
            File.WriteAllBytes(path, bytes);
            return ($"header bit flip at {at}", null);
        }

        var data = headerEnd + rng.Next(bytes.Length - headerEnd);
        var tensor = TensorAt(bytes, headerEnd, data - headerEnd);
        bytes[data] ^= (byte)(1 << rng.Next(8));
        File.WriteAllBytes(path, bytes);
        return ($"data bit flip at {data} ({tensor})", tensor);
    }

    /// <summary>One bit of one value of a tensor the engine's dump also has: a change the verdict must see.</summary>
    private static (string What, string? Tensor) FlipComparedTensor(string path, string engineFile, Random rng)
    {
        var bytes = File.ReadAllBytes(path);
        var headerEnd = 8 + (int)BitConverter.ToUInt64(bytes, 0);
        List<(string Name, long Begin, long End)> candidates;
        using (var header = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(8, headerEnd - 8)))
        {
            candidates = [.. header.RootElement.EnumerateObject()
                .Where(e => e.Name != "__metadata__" && ComparedIn(engineFile, e.Name))
                .Select(e => (e.Name, e.Value.GetProperty("data_offsets")[0].GetInt64(), e.Value.GetProperty("data_offsets")[1].GetInt64()))
                .Where(c => c.Item3 > c.Item2)];
        }

        var (name, begin, end) = candidates[rng.Next(candidates.Count)];
        var at = headerEnd + begin + rng.NextInt64(end - begin);
        bytes[at] ^= (byte)(1 << rng.Next(8));
        File.WriteAllBytes(path, bytes);
        return ($"bit flip in {name} at {at}", name);
    }

    /// <summary>The safetensors tensor whose data holds byte <paramref name="offset"/> of the data section.</summary>
    private static string? TensorAt(byte[] file, int headerEnd, long offset)
    {
        using var header = System.Text.Json.JsonDocument.Parse(file.AsMemory(8, headerEnd - 8));
        foreach (var entry in header.RootElement.EnumerateObject().Where(e => e.Name != "__metadata__"))
        {
            var range = entry.Value.GetProperty("data_offsets");
            if (offset >= range[0].GetInt64() && offset < range[1].GetInt64())
            {
                return entry.Name;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether the engine's dump of the same step has <paramref name="tensor"/>, so the diff compares every value of it.
    /// Masked attention rows (kq, kq_soft_max) are compared only over the cells a token attends: llama.cpp pads them to
    /// 256 KV cells and masks the rest, and a flip there is rightly not a finding, so they are left out.
    /// </summary>
    private static bool ComparedIn(string engineFile, string tensor)
    {
        if (!File.Exists(engineFile) || tensor.StartsWith("kq-", StringComparison.Ordinal) || tensor.StartsWith("kq_soft_max-", StringComparison.Ordinal))
        {
            return false;
        }

        var bytes = File.ReadAllBytes(engineFile);
        using var header = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(8, (int)BitConverter.ToUInt64(bytes, 0)));
        return header.RootElement.TryGetProperty(tensor, out _);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        }

        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
        }
    }
}

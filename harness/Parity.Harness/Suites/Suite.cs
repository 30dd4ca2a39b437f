using System.Text.Json;
using System.Text.RegularExpressions;
using Parity.Harness.Runner;

namespace Parity.Harness.Suites;

/// <summary>
/// A parity suite: <c>suite.json</c> (the cases; schema in docs/suites.md) in a directory that also holds the golden
/// dumps (<c>goldens/&lt;case&gt;/</c>, made by llama.cpp) and the tolerance snapshots
/// (<c>snapshots/&lt;case&gt;.verified.json</c>, the engine's error profile against the golden).
/// </summary>
public sealed record Suite
{
    public const string FileName = "suite.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    public int FormatVersion { get; init; } = 1;

    public required string Name { get; init; }

    public string? Description { get; init; }

    /// <summary>Tolerance policy file, relative to the suite directory; null: the repo's default policy.</summary>
    public string? Tolerances { get; init; }

    public SuiteDefaults Defaults { get; init; } = new();

    public required IReadOnlyList<SuiteCase> Cases { get; init; }

    /// <summary>The directory holding suite.json (set when loaded).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Directory { get; init; } = string.Empty;

    public string GoldensDirectory => Path.Combine(Directory, "goldens");

    public string SnapshotsDirectory => Path.Combine(Directory, "snapshots");

    public string GoldenDirectory(SuiteCase c) => Path.Combine(GoldensDirectory, c.Name);

    public string VerifiedPath(SuiteCase c) => Path.Combine(SnapshotsDirectory, c.Name + ".verified.json");

    public string ReceivedPath(SuiteCase c) => Path.Combine(SnapshotsDirectory, c.Name + ".received.json");

    public int StepsOf(SuiteCase c) => c.Steps ?? Defaults.Steps;

    public int ThreadsOf(SuiteCase c) => c.Threads ?? Defaults.Threads;

    public string KvCacheOf(SuiteCase c) => c.KvCache ?? Defaults.KvCache;

    /// <summary>
    /// llama.cpp's <c>--cache-type-k</c>/<c>--cache-type-v</c> for a case: "f16" and "f32" set both; "q8_0" quantizes K
    /// only, since llama.cpp quantizes V only with flash attention; "K/V" names both (<c>q4_0/q4_0</c>, flash
    /// attention cases).
    /// </summary>
    public (string K, string V) CacheTypesOf(SuiteCase c) => KvCacheOf(c) switch
    {
        "q8_0" => ("q8_0", "f16"),
        var kv when kv.Split('/') is [var k, var v] => (k, v),
        var kv => (kv, kv),
    };

    public string NumericsOf(SuiteCase c) => c.Numerics ?? Defaults.Numerics;

    public bool RepackOf(SuiteCase c) => c.Repack ?? Defaults.Repack;

    /// <summary>What both sides run with for a case: threads, flash attention, the KV cache types, repacking.</summary>
    public LlamaCppDecodeOptions DecodeOf(SuiteCase c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var (k, v) = CacheTypesOf(c);
        return LlamaCppDecodeOptions.Default with { Threads = ThreadsOf(c), FlashAttention = c.FlashAttention, CacheTypeK = k, CacheTypeV = v, Repack = RepackOf(c) };
    }

    /// <summary>Why the engine refuses a case's KV cache pair (<see cref="Engine.EngineDumper.CheckSupported(LlamaCppDecodeOptions)"/>), or null.</summary>
    private string? CacheRefusal(SuiteCase c)
    {
        try
        {
            Engine.EngineDumper.CheckSupported(DecodeOf(c));
            return null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// A suite by name (<c>reference-data/suites/NAME</c> in the repository above the working directory or above
    /// this program) or by path (a directory holding suite.json, or the file itself).
    /// </summary>
    public static Suite Find(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrPath);
        if (File.Exists(nameOrPath) && Path.GetFileName(nameOrPath) == FileName)
        {
            return Load(nameOrPath);
        }

        if (File.Exists(Path.Combine(nameOrPath, FileName)))
        {
            return Load(Path.Combine(nameOrPath, FileName));
        }

        if (nameOrPath.Contains('/', StringComparison.Ordinal) || nameOrPath.Contains('\\', StringComparison.Ordinal))
        {
            throw new FileNotFoundException($"{Path.GetFullPath(nameOrPath)}: no {FileName} there");
        }

        var searched = new List<string>();
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "reference-data", "suites", nameOrPath, FileName);
                if (File.Exists(candidate))
                {
                    return Load(candidate);
                }

                if (File.Exists(Path.Combine(dir.FullName, "Parity.sln")))
                {
                    searched.Add(Path.GetDirectoryName(candidate)!);
                    break;
                }
            }
        }

        throw new FileNotFoundException($"no suite named '{nameOrPath}' (looked for reference-data/suites/{nameOrPath}/{FileName} in {(searched.Count == 0 ? "no repository above the working directory or the program" : string.Join(", ", searched.Distinct()))})");
    }

    public static Suite Load(string path)
    {
        Suite? suite;
        try
        {
            suite = JsonSerializer.Deserialize<Suite>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a suite file: {e.Message}", e);
        }

        if (suite is null)
        {
            throw new InvalidDataException($"{path}: empty suite file");
        }

        suite = suite with { Directory = Path.GetDirectoryName(Path.GetFullPath(path))! };
        suite.Validate(path);
        return suite;
    }

    /// <summary>The cases whose name matches <paramref name="pattern"/> (a glob; null: all), in file order.</summary>
    public IReadOnlyList<SuiteCase> Select(string? pattern)
    {
        if (pattern is null)
        {
            return Cases;
        }

        var regex = new Regex("^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
        var selected = Cases.Where(c => regex.IsMatch(c.Name)).ToList();
        return selected.Count > 0
            ? selected
            : throw new ArgumentException($"--case '{pattern}' matches none of the {Cases.Count} cases of suite '{Name}' ({string.Join(", ", Cases.Take(6).Select(c => c.Name))}{(Cases.Count > 6 ? ", ..." : string.Empty)})");
    }

    private void Validate(string path)
    {
        void Fail(string where, string what) => throw new InvalidDataException($"{path}: {where}: {what}");

        if (FormatVersion != 1)
        {
            Fail("formatVersion", $"expected 1, found {FormatVersion}");
        }

        if (Cases is null || Cases.Count == 0)
        {
            Fail("cases", "expected at least one case");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < Cases!.Count; i++)
        {
            var c = Cases[i];
            var at = $"cases[{i}]" + (string.IsNullOrEmpty(c?.Name) ? string.Empty : $" ('{c.Name}')");
            if (c is null || string.IsNullOrWhiteSpace(c.Name) || !Regex.IsMatch(c.Name, "^[A-Za-z0-9][A-Za-z0-9._-]*$"))
            {
                Fail(at + ".name", "expected a name of letters, digits, '.', '_' and '-'");
            }

            if (!names.Add(c!.Name))
            {
                Fail(at + ".name", "a case of that name already exists");
            }

            if (c.Model is null || new[] { c.Model.Preset, c.Model.Fixture, c.Model.Path }.Count(s => s is not null) != 1)
            {
                Fail(at + ".model", "expected exactly one of preset, fixture or path");
            }

            if ((c.Prompt is null) == (c.Tokens is null))
            {
                Fail(at, "expected exactly one of prompt (text) or tokens (ids)");
            }

            if (c.Tokens is { Count: 0 })
            {
                Fail(at + ".tokens", "expected at least one token id");
            }

            if (c.Chat && c.Prompt is null)
            {
                Fail(at + ".chat", "the chat template wraps a text prompt; give prompt, not tokens");
            }

            if (StepsOf(c) is < 0 or > 256)
            {
                Fail(at + ".steps", $"expected 0..256, found {StepsOf(c)}");
            }

            if (CacheRefusal(c) is { } refusal)
            {
                Fail(at + ".kvCache", $"expected f16, f32, q8_0 (K in Q8_0, V in F16) or a pair K/V the engine keeps, found '{KvCacheOf(c)}': {refusal}");
            }

            if (c.Tensors is { } filter)
            {
                try
                {
                    _ = new Regex(filter, RegexOptions.CultureInvariant);
                }
                catch (ArgumentException e)
                {
                    Fail(at + ".tensors", $"not a regular expression: {e.Message}");
                }
            }

            if (NumericsOf(c) is not ("ggml" or "f32"))
            {
                Fail(at + ".numerics", $"expected ggml or f32, found '{NumericsOf(c)}'");
            }

            if (c.Variant is { } variant && !Parity.Engine.Kernels.GgmlVariants.TryParse(variant, out _))
            {
                Fail(at + ".variant", $"expected a library variant of the package (avx512, avx2, avx or noavx), found '{variant}'");
            }
        }
    }
}

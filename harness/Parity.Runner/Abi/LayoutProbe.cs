using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Parity.Runner.Abi;

/// <summary>
/// Reads a build's layout from its own headers: compiles <c>layout-probe.c</c> (our source, embedded in the runner)
/// with the system C compiler, runs it, and caches its output under the headers' SHA-256, so the compiler runs once per
/// header set. No compiler is refused by name; so is a header set the probe does not compile against (the fields it
/// lacks are named).
/// </summary>
internal static partial class LayoutProbe
{
    private static readonly string[] CompilerNames = ["cc", "gcc", "clang"];
    private static readonly TimeSpan CompileTimeout = TimeSpan.FromSeconds(120);

    /// <summary><c>$PARITY_CACHE_DIR/abi</c>, else <c>$XDG_CACHE_HOME/parity/abi</c>, else <c>~/.cache/parity/abi</c>.</summary>
    public static string CacheDirectory()
    {
        var env = Environment.GetEnvironmentVariable("PARITY_CACHE_DIR");
        if (!string.IsNullOrEmpty(env))
        {
            return Path.Combine(env, "abi");
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "parity", "abi");
    }

    public static string CachePath(string headersSha256) => Path.Combine(CacheDirectory(), $"layout-{headersSha256}.json");

    /// <summary>The cached layout for these headers, or null when none is cached.</summary>
    public static LlamaLayout? Cached(HeaderSet headers)
    {
        var path = CachePath(headers.Sha256);
        return File.Exists(path)
            ? new LlamaLayout($"headers probe (cached in {path})", LlamaLayout.ParseFields(File.ReadAllText(path), path), null, headers.Sha256)
            : null;
    }

    /// <summary>Compiles and runs the probe against <paramref name="headers"/>, caches its output, and returns the layout.</summary>
    public static LlamaLayout Run(HeaderSet headers)
    {
        var compiler = FindCompiler() ?? throw new RunnerException(
            RunnerExitCodes.UnservableAbi,
            $"the headers in {headers.Directory} (sha256 {headers.Sha256[..12]}) are not a llama.cpp build this runner knows, and no C compiler is on PATH to read their layout (looked for $CC, cc, gcc, clang)");
        var work = Directory.CreateTempSubdirectory("parity-layout-probe-");
        try
        {
            var source = Path.Combine(work.FullName, "layout-probe.c");
            var program = Path.Combine(work.FullName, "layout-probe");
            File.WriteAllText(source, ProbeSource());
            var (rc, _, err) = Execute(compiler, ["-std=c11", "-I", headers.Directory, source, "-o", program]);
            if (rc != 0)
            {
                throw new RunnerException(RunnerExitCodes.UnservableAbi, $"the layout probe does not compile against the headers in {headers.Directory} with {compiler}: {DescribeCompileFailure(err)}");
            }

            var (runRc, json, runErr) = Execute(program, []);
            if (runRc != 0)
            {
                throw new RunnerException(RunnerExitCodes.UnservableAbi, $"the layout probe built against {headers.Directory} exited {runRc}: {runErr.Trim()}");
            }

            var fields = LlamaLayout.ParseFields(json, $"layout probe output for {headers.Directory}");
            WriteCache(headers.Sha256, json);
            return new LlamaLayout($"headers probe ({compiler})", fields, null, headers.Sha256);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>$CC when set, else the first of cc, gcc, clang on PATH.</summary>
    public static string? FindCompiler()
    {
        var cc = Environment.GetEnvironmentVariable("CC");
        if (!string.IsNullOrWhiteSpace(cc))
        {
            return OnPath(cc) ?? (File.Exists(cc) ? cc : null);
        }

        return CompilerNames.Select(OnPath).FirstOrDefault(p => p is not null);
    }

    private static string? OnPath(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(name) ? name : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }

    private static string ProbeSource()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("layout-probe.c")!;
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>The fields the headers lack, when that is why the compile failed; else the compiler's first errors.</summary>
    private static string DescribeCompileFailure(string stderr)
    {
        var missing = NoMember().Matches(stderr).Select(m => $"{m.Groups[1].Value}.{m.Groups[2].Value}").Distinct().ToList();
        if (missing.Count > 0)
        {
            return $"the headers have no field {string.Join(", ", missing)} (a llama.cpp API this runner does not serve)";
        }

        var errors = stderr.Split('\n').Where(l => l.Contains("error", StringComparison.Ordinal)).Take(3);
        return string.Join(" | ", errors).Trim();
    }

    [GeneratedRegex(@"['‘]struct (\w+)['’] has no member named ['‘](\w+)['’]", RegexOptions.CultureInvariant)]
    private static partial Regex NoMember();

    private static void WriteCache(string sha256, string json)
    {
        var path = CachePath(sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.tmp-{Environment.ProcessId}";
        File.WriteAllText(temp, json);
        File.Move(temp, path, overwrite: true);
    }

    private static (int ExitCode, string Stdout, string Stderr) Execute(string program, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["LC_ALL"] = "C";
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new RunnerException(RunnerExitCodes.UnservableAbi, $"cannot start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(CompileTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new RunnerException(RunnerExitCodes.UnservableAbi, $"{program} did not finish within {CompileTimeout.TotalSeconds:F0} s");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}

using System.CommandLine;
using Parity.Harness;
using Parity.Harness.Models;
using Parity.Engine.Kernels;
using Parity.Harness.Runner;

namespace Parity.Cli.Commands;

/// <summary>Options shared by the verbs that run llama.cpp, and the objects they configure.</summary>
public static class CommonOptions
{
    public static readonly Option<string?> LibDir = new Option<string?>("--lib-dir")
    {
        Description = "A llama.cpp build directory (libllama.so, libggml*.so) instead of the LLamaSharp.Backend.Cpu libraries (also $PARITY_LLAMA_LIB_DIR)",
        Recursive = true,
    }.ExistingDirectory("a llama.cpp build directory");

    public static readonly Option<string?> Variant = new Option<string?>("--variant")
    {
        Description = "Library variant of the package: avx512, avx2, avx or noavx (default: the best this CPU supports)",
        Recursive = true,
    }.OneOf(Enum.GetValues<Parity.Engine.Kernels.GgmlVariant>().Select(v => v.Name()).ToArray());

    public static readonly Option<string?> CacheDir = new("--cache-dir")
    {
        Description = "Where generated and quantized models are kept (default: $PARITY_CACHE_DIR or ~/.cache/parity)",
        Recursive = true,
    };

    public static readonly Option<bool> Quiet = new("--quiet", "-q")
    {
        Description = "No live progress display: one plain line on stderr as each phase starts (stdout is unchanged)",
        Recursive = true,
    };

    public static readonly Option<bool> Debug = new("--debug")
    {
        Description = "Print the stack trace of an internal error (also $PARITY_DEBUG=1)",
        Recursive = true,
    };

    public static LlamaCppRunner Runner(ParseResult parse)
    {
        var runner = LlamaCppRunner.CreateDefault();
        if (parse.GetValue(LibDir) is { } dir)
        {
            runner = runner.WithLibraryDirectory(dir);
        }

        return parse.GetValue(Variant) is { } variant ? runner.WithVariant(variant) : runner;
    }

    public static ModelCache Cache(ParseResult parse, IProgress<WorkProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var given = parse.GetValue(CacheDir);
        var directory = given ?? ModelCache.DefaultDirectory();
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var named = given is null ? $"the model cache {directory} ($PARITY_CACHE_DIR or ~/.cache/parity)" : $"--cache-dir {directory}";
            throw new ArgumentException($"{named}: expected a directory for generated and quantized models ({e.Message})", e);
        }

        return new ModelCache(directory, Runner(parse), progress);
    }

    /// <summary>Creates the <c>--out</c> directory, or says why it cannot be one (an existing file, a device, no permission).</summary>
    public static string OutputDirectory(string path)
    {
        var full = Path.GetFullPath(path);
        try
        {
            Directory.CreateDirectory(full);
            return full;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--out {path}: expected a directory to write the dumps and reports into ({e.Message})", e);
        }
    }
}

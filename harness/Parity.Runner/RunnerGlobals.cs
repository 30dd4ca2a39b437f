using System.CommandLine;
using System.Runtime.InteropServices;
using Parity.Runner.Native;

namespace Parity.Runner;

/// <summary>Options every verb takes, and the one-time start-up of llama.cpp they need.</summary>
internal static partial class RunnerGlobals
{
    public static readonly Option<string?> LibDir = new("--lib-dir")
    {
        Description = "Directory of a llama.cpp build (libllama.so, libggml*.so); default: the LLamaSharp.Backend.Cpu libraries shipped beside the runner",
        Recursive = true,
    };

    public static readonly Option<string?> Variant = new("--variant")
    {
        Description = "Package library variant: avx512, avx2, avx or noavx (default: the best this CPU supports)",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Also print llama.cpp's info and debug log lines on stderr",
        Recursive = true,
    };

    private static bool _started;

    /// <summary>Loads the libraries, routes the log, initializes the backend, chooses the layout and checks it.</summary>
    public static void Start(ParseResult parse)
    {
        if (_started)
        {
            return;
        }

        // ggml runs gdb for a backtrace on abort when gdb is installed; the harness wants a prompt, clean exit.
        _ = setenv("GGML_NO_BACKTRACE", "1", 1);
        LlamaLog.MinimumLevel = parse.GetValue(Verbose) ? 1 : 3;
        LlamaLibrary.Load(parse.GetValue(LibDir), parse.GetValue(Variant));
        LlamaLog.Install();
        LlamaApi.llama_backend_init();
        var build = Abi.LlamaBuild.Identify();
        LlamaAbi.Check(build.LibraryDirectory, Abi.LlamaLayout.Current);
        _started = true;
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}

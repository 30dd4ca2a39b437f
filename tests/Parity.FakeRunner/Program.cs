using System.Diagnostics;
using System.Globalization;
using Parity.Tests.Fakes;

namespace Parity.FakeRunner;

/// <summary>
/// Behaves as <c>PARITY_FAKE_MODE</c> says: <c>ok</c> (a canned JSON result per verb), <c>crash</c> (SIGSEGV),
/// <c>abort</c> (SIGABRT), <c>exit:N</c>, <c>hang</c> (with a child process, whose pid goes to
/// <c>PARITY_FAKE_PIDFILE</c>), <c>garbage</c>, <c>missing-lib</c>, <c>partial</c> (starts writing <c>--out</c>'s
/// temporary output, then crashes).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var mode = Environment.GetEnvironmentVariable("PARITY_FAKE_MODE") ?? "ok";
        var verb = args.FirstOrDefault() ?? string.Empty;
        Console.Error.WriteLine($"fake-runner: verb {verb}, mode {mode}");
        switch (mode)
        {
            case "ok":
                Console.WriteLine(verb switch
                {
                    "tokenize" => "{\"tokens\":[1,959,323]}",
                    "info" => "{\"llamaCppCommit\":\"fake\",\"ggmlVersion\":\"0.0.0\",\"ggmlCommit\":\"fake\",\"variant\":\"fake\",\"libraryDirectory\":\"/fake\",\"systemInfo\":\"none\"}",
                    _ => "{\"ok\":true}",
                });
                return 0;
            case "crash":
                Console.Error.WriteLine("about to dereference a bad pointer");
                NativeCrash.Signal(11);
                return 99;
            case "abort":
                Console.Error.WriteLine("GGML_ASSERT(false) failed");
                NativeCrash.Signal(6);
                return 99;
            case "hang":
                {
                    var child = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
                    var pidFile = Environment.GetEnvironmentVariable("PARITY_FAKE_PIDFILE");
                    if (pidFile is not null)
                    {
                        File.WriteAllText(pidFile, $"{Environment.ProcessId} {child.Id}");
                    }

                    Thread.Sleep(Timeout.Infinite);
                    return 99;
                }

            case "garbage":
                Console.WriteLine("this is not { json");
                return 0;
            case "missing-lib":
                Console.Error.WriteLine("parity-runner: cannot load /x/libggml-cpu.so: the system library libgomp.so.1 is missing; it comes with the package libgomp1 (apt-get install libgomp1)");
                return 3;
            case "partial":
                {
                    var outIndex = Array.IndexOf(args, "--out");
                    var output = Path.GetFullPath(args[outIndex + 1]);
                    var temp = $"{output}.tmp-{Environment.ProcessId}-abcd";
                    Directory.CreateDirectory(temp);
                    File.WriteAllText(Path.Combine(temp, "half-written.bin"), "partial");
                    NativeCrash.Signal(11);
                    return 99;
                }

            default:
                if (mode.StartsWith("exit:", StringComparison.Ordinal))
                {
                    Console.Error.WriteLine("parity-runner: llama.cpp could not load /m.gguf: error loading model");
                    return int.Parse(mode[5..], CultureInfo.InvariantCulture);
                }

                Console.Error.WriteLine($"fake-runner: unknown mode {mode}");
                return 2;
        }
    }
}

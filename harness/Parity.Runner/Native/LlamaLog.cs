using System.Runtime.InteropServices;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Parity.Runner.Native;

/// <summary>
/// Routes llama.cpp's and ggml's log into the runner's stderr, one prefixed line per message, so nothing native
/// ever writes to the terminal on its own and the harness can keep the tail of it for error reports.
/// Set before <c>llama_backend_init</c> so ggml's start-up messages are captured too.
/// </summary>
internal static unsafe partial class LlamaLog
{
    /// <summary>ggml_log_level: NONE 0, DEBUG 1, INFO 2, WARN 3, ERROR 4, CONT 5 (continues the previous message).</summary>
    private const int Info = 2;
    private const int Cont = 5;

    private static readonly StringBuilder Pending = new();
    private static int _pendingLevel;

    public static int MinimumLevel { get; set; } = 3;

    /// <summary>Every INFO line as well, kept for verbs that parse llama.cpp's messages.</summary>
    public static List<string> Captured { get; } = [];

    public static void Install() => LlamaApi.llama_log_set(&OnLog, IntPtr.Zero);

    [UnmanagedCallersOnly(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    private static void OnLog(int level, byte* text, IntPtr userData)
    {
        var message = Marshal.PtrToStringUTF8((IntPtr)text) ?? string.Empty;
        lock (Pending)
        {
            if (level != Cont)
            {
                _pendingLevel = level;
            }

            // Messages arrive in fragments; a line is complete at its newline.
            Pending.Append(message);
            var s = Pending.ToString();
            var newline = s.LastIndexOf('\n');
            if (newline < 0)
            {
                return;
            }

            Pending.Clear().Append(s, newline + 1, s.Length - newline - 1);
            foreach (var line in s[..newline].Split('\n'))
            {
                if (_pendingLevel >= Info)
                {
                    Captured.Add(line);
                    ReportQuantized(line);
                }

                if (_pendingLevel >= MinimumLevel)
                {
                    Console.Error.WriteLine($"[llama.cpp {LevelName(_pendingLevel)}] {line}");
                }
            }
        }
    }

    /// <summary>
    /// llama.cpp's quantizer logs each tensor as it finishes it, numbered (<c>[  12/ 201] blk.1.attn_k.weight ...</c>),
    /// which is the only progress <c>llama_model_quantize</c> gives; a line of another shape is just not progress.
    /// </summary>
    private static void ReportQuantized(string line)
    {
        var m = QuantizedTensor().Match(line);
        if (m.Success)
        {
            RunnerOutput.Progress(long.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture), long.Parse(m.Groups[2].ValueSpan, CultureInfo.InvariantCulture), "tensor");
        }
    }

    [GeneratedRegex(@"^\[\s*(\d{1,9})/\s*(\d{1,9})\] ", RegexOptions.CultureInvariant)]
    private static partial Regex QuantizedTensor();

    private static string LevelName(int level) => level switch
    {
        1 => "debug",
        2 => "info",
        3 => "warn",
        4 => "error",
        _ => "log",
    };
}

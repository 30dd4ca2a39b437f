using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Parity.Gguf;
using Parity.Runner.Native;

namespace Parity.Runner.Verbs;

/// <summary>
/// <c>vecdot</c>: weight rows against one activation row through ggml's own CPU kernels: the activations converted
/// with the <c>from_float</c> of the weight type's <c>vec_dot_type</c>, then <c>vec_dot</c> per row, exactly the call
/// <c>ggml_compute_forward_mul_mat</c> makes for a single token. The oracle for the engine's block dot products.
/// </summary>
internal static unsafe class VecDotVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Required = true, Description = "GGUF model" };
        var tensor = new Option<string>("--tensor") { Required = true, Description = "Weight tensor, e.g. blk.0.attn_q.weight" };
        var rows = new Option<string?>("--rows") { Description = "Row range FIRST:END (end exclusive); default all rows" };
        var activations = new Option<string>("--activations") { Required = true, Description = "File of ne[0] float32 activations" };
        var output = new Option<string>("--out") { Required = true, Description = "Output file: one float32 per row" };
        var quantized = new Option<string?>("--quantized-out") { Description = "Also write the activations as ggml converted them (vec_dot_type blocks)" };
        var command = new Command("vecdot", "Dot weight rows with activations through ggml's from_float and vec_dot") { model, tensor, rows, activations, output, quantized };
        command.SetAction(parse =>
        {
            var modelPath = parse.GetValue(model)!;
            using var file = GgufFile.Open(modelPath);
            var name = parse.GetValue(tensor)!;
            if (!file.TryGetTensor(name, out var t))
            {
                throw new RunnerException(RunnerExitCodes.BadInput, $"{modelPath}: no tensor '{name}'");
            }

            var k = t.RowLength;
            var x = File.ReadAllBytes(parse.GetValue(activations)!);
            if (x.Length != k * 4)
            {
                throw new RunnerException(RunnerExitCodes.BadInput, $"--activations: {x.Length} bytes, expected {k * 4} ({k} float32 values, the row length of {name})");
            }

            var (first, end) = ParseRows(parse.GetValue(rows), t.RowCount);
            RunnerGlobals.Start(parse);
            LlamaApi.ggml_cpu_init();
            var traits = (byte*)LlamaApi.ggml_get_type_traits_cpu((int)t.Type);
            var layout = Abi.LlamaLayout.Current;
            var fromFloatOf = *(int*)(traits + layout.Offset("ggml_type_traits_cpu.vec_dot_type"));
            var vecDot = *(delegate* unmanaged[Cdecl]<int, float*, nuint, void*, nuint, void*, nuint, int, void>*)(traits + layout.Offset("ggml_type_traits_cpu.vec_dot"));
            if (vecDot == null)
            {
                throw new RunnerException(RunnerExitCodes.BadInput, $"ggml has no CPU vec_dot for {t.TypeInfo.GgmlName}");
            }

            var dotType = (GgmlType)fromFloatOf;
            var dotInfo = GgmlTypeInfo.Get(dotType);
            var y = new byte[dotInfo.RowBytes(k)];
            var rowBytes = t.TypeInfo.RowBytes(k);
            var results = new float[end - first];
            fixed (byte* xp = x)
            fixed (byte* yp = y)
            fixed (float* rp = results)
            {
                if (dotType == GgmlType.F32)
                {
                    Buffer.MemoryCopy(xp, yp, y.Length, y.Length);
                }
                else
                {
                    var fromFloat = *(delegate* unmanaged[Cdecl]<float*, void*, long, void>*)((byte*)LlamaApi.ggml_get_type_traits_cpu(fromFloatOf) + layout.Offset("ggml_type_traits_cpu.from_float"));
                    fromFloat((float*)xp, yp, k);
                }

                var w = file.GetTensorPointer(t);
                for (var r = first; r < end; r++)
                {
                    vecDot((int)k, rp + (r - first), 0, w + (r * rowBytes), 0, yp, 0, 1);
                }
            }

            WriteAtomically(parse.GetValue(output)!, MemoryMarshal.AsBytes(results.AsSpan()).ToArray());
            if (parse.GetValue(quantized) is { } q)
            {
                WriteAtomically(q, y);
            }

            return RunnerOutput.Write(new JsonObject
            {
                ["tensor"] = name,
                ["type"] = t.TypeInfo.GgmlName,
                ["vecDotType"] = dotInfo.GgmlName,
                ["firstRow"] = first,
                ["endRow"] = end,
            });
        });
        return command;
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var full = Path.GetFullPath(path);
        var temp = $"{full}.tmp-{Environment.ProcessId}";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, full, overwrite: true);
    }

    private static (long First, long End) ParseRows(string? range, long rowCount)
    {
        if (range is null)
        {
            return (0, rowCount);
        }

        var parts = range.Split(':');
        if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var a) || !long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var b) || a < 0 || b > rowCount || a >= b)
        {
            throw new RunnerException(RunnerExitCodes.BadInput, $"--rows '{range}': expected FIRST:END with 0 <= FIRST < END <= {rowCount}");
        }

        return (a, b);
    }
}

using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Parity.Gguf;
using Parity.Runner.Native;

namespace Parity.Runner.Verbs;

/// <summary>
/// <c>dequantize</c>: rows of a weight tensor through ggml's own <c>to_float</c> (from <c>ggml_get_type_traits</c>),
/// written as raw little-endian float32: the oracle for the engine's dequantization kernels.
/// </summary>
internal static unsafe class DequantizeVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Required = true, Description = "GGUF model" };
        var tensor = new Option<string?>("--tensor") { Description = "Tensor name, e.g. blk.0.attn_q.weight; without it, every tensor (with --sha256)" };
        var rows = new Option<string?>("--rows") { Description = "Row range FIRST:END (end exclusive); default all rows" };
        var output = new Option<string?>("--out") { Description = "Output file of float32 values, rows x ne[0]" };
        var sha256 = new Option<bool>("--sha256") { Description = "Print the SHA-256 of each tensor's float32 values instead of writing them (all tensors when --tensor is absent)" };
        var command = new Command("dequantize", "Dequantize tensor rows with ggml's to_float") { model, tensor, rows, output, sha256 };
        command.SetAction(parse =>
        {
            if (parse.GetValue(sha256))
            {
                return Hashes(parse, parse.GetValue(model)!, parse.GetValue(tensor));
            }

            return Run(parse, parse.GetValue(model)!, parse.GetValue(tensor) ?? throw new RunnerException(RunnerExitCodes.BadInput, "give --tensor NAME (or --sha256 for all tensors)"), parse.GetValue(rows), parse.GetValue(output) ?? throw new RunnerException(RunnerExitCodes.BadInput, "give --out FILE"));
        });
        return command;
    }

    private static int Run(ParseResult parse, string modelPath, string tensorName, string? rowRange, string output)
    {
        using var file = GgufFile.Open(modelPath);
        if (!file.TryGetTensor(tensorName, out var t))
        {
            throw new RunnerException(RunnerExitCodes.BadInput, $"{modelPath}: no tensor '{tensorName}'");
        }

        var (first, end) = ParseRows(rowRange, t.RowCount);
        RunnerGlobals.Start(parse);
        var values = ToFloat(file, t, first, end);
        var full = Path.GetFullPath(output);
        var temp = $"{full}.tmp-{Environment.ProcessId}";
        File.WriteAllBytes(temp, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        File.Move(temp, full, overwrite: true);
        return RunnerOutput.Write(new JsonObject
        {
            ["tensor"] = tensorName,
            ["type"] = t.TypeInfo.GgmlName,
            ["ne"] = RunnerOutput.Array(t.Dimensions),
            ["firstRow"] = first,
            ["endRow"] = end,
            ["out"] = full,
        });
    }

    /// <summary>SHA-256 of every (or one) tensor's float32 values: a bit-exact oracle that moves 32 bytes, not the data.</summary>
    private static int Hashes(ParseResult parse, string modelPath, string? tensorName)
    {
        using var file = GgufFile.Open(modelPath);
        RunnerGlobals.Start(parse);
        var tensors = new JsonArray();
        foreach (var t in file.Tensors.Where(t => tensorName is null || t.Name == tensorName))
        {
            var values = ToFloat(file, t, 0, t.RowCount);
            tensors.Add(new JsonObject
            {
                ["name"] = t.Name,
                ["type"] = t.TypeInfo.GgmlName,
                ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(values.AsSpan()))),
            });
        }

        return RunnerOutput.Write(new JsonObject { ["tensors"] = tensors });
    }

    private static unsafe float[] ToFloat(GgufFile file, GgufTensorInfo t, long first, long end)
    {
        var info = t.TypeInfo;
        var rowBytes = info.RowBytes(t.RowLength);
        var values = new float[checked((int)((end - first) * t.RowLength))];
        var src = file.GetTensorPointer(t) + (first * rowBytes);
        fixed (float* dst = values)
        {
            if (t.Type == GgmlType.F32)
            {
                Buffer.MemoryCopy(src, dst, values.Length * 4L, values.Length * 4L);
                return values;
            }

            var traits = LlamaApi.ggml_get_type_traits((int)t.Type);
            var toFloat = *(delegate* unmanaged[Cdecl]<void*, float*, long, void>*)((byte*)traits + Abi.LlamaLayout.Current.Offset("ggml_type_traits.to_float"));
            if (toFloat == null)
            {
                throw new RunnerException(RunnerExitCodes.BadInput, $"ggml has no to_float for type {info.GgmlName}");
            }

            toFloat(src, dst, values.Length);
        }

        return values;
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

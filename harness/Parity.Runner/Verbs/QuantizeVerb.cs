using System.CommandLine;
using System.Text.Json.Nodes;
using Parity.Gguf;
using Parity.Runner.Native;

namespace Parity.Runner.Verbs;

/// <summary>
/// <c>quantize</c>: <c>llama_model_quantize</c> to one of llama.cpp's file types, written atomically, then the
/// resulting type of every tensor read back from the output (llama.cpp falls back to another type where a row
/// length is not a multiple of the block size, and keeps norms in F32).
/// </summary>
internal static class QuantizeVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Required = true, Description = "Input GGUF (F32, F16 or BF16)" };
        var output = new Option<string>("--out") { Required = true, Description = "Output GGUF" };
        var type = new Option<string>("--type") { Required = true, Description = "Target: " + string.Join(", ", QuantizeTypes.Names) };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 2, Description = "Threads" };
        var command = new Command("quantize", "Quantize a model with llama.cpp") { model, output, type, threads };
        command.SetAction(parse => Run(parse, parse.GetValue(model)!, parse.GetValue(output)!, parse.GetValue(type)!, parse.GetValue(threads)));
        return command;
    }

    private static unsafe int Run(ParseResult parse, string input, string output, string typeName, int threads)
    {
        var ftype = ParseType(typeName);
        if (!File.Exists(input))
        {
            throw new RunnerException(RunnerExitCodes.BadInput, $"{input}: no such model file");
        }

        RunnerGlobals.Start(parse);
        var full = Path.GetFullPath(output);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.tmp-{Environment.ProcessId}";
        try
        {
            var p = LlamaApi.llama_model_quantize_default_params();
            p.Set("llama_model_quantize_params.ftype", (int)ftype);
            p.Set("llama_model_quantize_params.nthread", threads);
            var before = LlamaLog.Captured.Count;
            if (LlamaApi.llama_model_quantize(input, temp, &p) != 0)
            {
                var reasons = LlamaLog.Captured.Skip(before).Where(l => l.Contains("failed", StringComparison.OrdinalIgnoreCase) || l.Contains("error", StringComparison.OrdinalIgnoreCase)).TakeLast(3);
                throw new RunnerException(RunnerExitCodes.LlamaFailure, $"llama.cpp failed to quantize {input} to {typeName}: {string.Join(" | ", reasons)}");
            }

            var fallbacks = LlamaLog.Captured.Skip(before).Where(l => l.Contains("falling back", StringComparison.Ordinal)).Select(l => l.Trim()).ToList();
            File.Move(temp, full, overwrite: true);
            using var source = GgufFile.Open(input);
            using var result = GgufFile.Open(full);
            var tensors = new JsonArray();
            foreach (var t in result.Tensors)
            {
                tensors.Add(new JsonObject
                {
                    ["name"] = t.Name,
                    ["ne"] = RunnerOutput.Array(t.Dimensions),
                    ["from"] = source.TryGetTensor(t.Name, out var s) ? GgmlTypeInfo.Get(s.Type).GgmlName : null,
                    ["type"] = GgmlTypeInfo.Get(t.Type).GgmlName,
                });
            }

            return RunnerOutput.Write(new JsonObject
            {
                ["output"] = full,
                ["fileType"] = ftype.ToString(),
                ["bytes"] = new FileInfo(full).Length,
                ["tensors"] = tensors,
                ["fallbacks"] = RunnerOutput.Array(fallbacks),
            });
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public static LlamaFileType ParseType(string name)
    {
        var upper = name.ToUpperInvariant();
        if (!QuantizeTypes.Names.Contains(upper))
        {
            throw new RunnerException(RunnerExitCodes.BadInput, $"unknown quantization type '{name}'; known: {string.Join(", ", QuantizeTypes.Names)}");
        }

        return upper == "F32" ? LlamaFileType.ALL_F32 : Enum.Parse<LlamaFileType>("MOSTLY_" + upper);
    }
}

using System.CommandLine;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Parity.Dump;
using Parity.Runner.Native;

namespace Parity.Runner.Verbs;

/// <summary>
/// <c>dump</c>: decode a prompt (and <c>--steps N</c> greedy single-token decodes through the KV cache) and write every
/// graph tensor llama.cpp computes, in graph order and in full, as a Parity dump (docs/dump-format.md): one step
/// directory per decode, written to a temporary directory and renamed into place when complete. Logits are
/// requested for every prompt position, so the last layer keeps all rows.
/// </summary>
internal static unsafe class DumpVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Required = true, Description = "GGUF model" };
        var prompt = new Option<string?>("--prompt") { Description = "Prompt text (tokenized by llama.cpp)" };
        var tokens = new Option<string?>("--tokens") { Description = "Prompt token ids, comma-separated (instead of --prompt)" };
        var noAddSpecial = new Option<bool>("--no-add-special") { Description = "With --prompt: do not add BOS" };
        var noParseSpecial = new Option<bool>("--no-parse-special") { Description = "With --prompt: treat </s> etc. as plain text" };
        var output = new Option<string>("--out") { Required = true, Description = "Run directory to write (replaced if it exists)" };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 0, Description = "Greedy single-token decode steps after the prompt, one dump each" };
        var filter = new Option<string?>("--filter") { Description = "Only tensors whose name matches this regular expression" };
        var command = new Command("dump", "Dump every tensor of llama.cpp's forward pass") { model, prompt, tokens, noAddSpecial, noParseSpecial, output, steps, filter };
        DecodeOptions.AddTo(command);
        command.SetAction(parse =>
        {
            var options = DecodeOptions.From(parse);
            var nSteps = parse.GetValue(steps);
            if (nSteps < 0)
            {
                throw new RunnerException(RunnerExitCodes.BadInput, "--steps must be 0 or more");
            }

            var filterText = parse.GetValue(filter);
            var capture = new GraphTensorCapture(filterText is null ? null : new Regex(filterText, RegexOptions.CultureInvariant));
            var modelPath = Path.GetFullPath(parse.GetValue(model)!);
            var modelInfo = File.Exists(modelPath) ? DumpModelInfoReader.Read(modelPath) : throw new RunnerException(RunnerExitCodes.BadInput, $"{modelPath}: no such model file");
            RunnerGlobals.Start(parse);
            using var m = LlamaModel.Load(modelPath, repack: options.Repack);

            var text = parse.GetValue(prompt);
            int[] ids = (text, parse.GetValue(tokens)) switch
            {
                (not null, null) => m.Tokenize(text, !parse.GetValue(noAddSpecial), !parse.GetValue(noParseSpecial)),
                (null, { } list) => TokenIds.Parse(list),
                _ => throw new RunnerException(RunnerExitCodes.BadInput, "give exactly one of --prompt TEXT or --tokens IDS"),
            };
            if (ids.Length == 0)
            {
                throw new RunnerException(RunnerExitCodes.BadInput, "the prompt has no tokens");
            }

            capture.Activate();
            using var ctx = new LlamaContext(m, options, ids.Length + nSteps, ids.Length, GraphTensorCapture.Callback);
            var info = new DumpRunInfo
            {
                Producer = Abi.LlamaBuild.Current.ToProducer(),
                Model = modelInfo,
                Prompt = new DumpPrompt { Text = text, Tokens = ids },
                Options = new DumpOptions
                {
                    Threads = options.Threads,
                    FlashAttention = options.FlashAttention,
                    TypeK = options.TypeK.ToString().ToLowerInvariant(),
                    TypeV = options.TypeV.ToString().ToLowerInvariant(),
                    Repack = options.Repack,
                    NCtx = ctx.ContextSize,
                    NBatch = ids.Length,
                    Filter = filterText,
                    OutputAll = true,
                },
            };

            using var writer = DumpRunWriter.Create(parse.GetValue(output)!, info);
            var generated = new List<int>();
            var perStep = new JsonArray();
            RunnerOutput.Progress(0, nSteps + 1, "step");
            for (var step = 0; step <= nSteps; step++)
            {
                int[] stepTokens = step == 0 ? ids : [generated[^1]];
                var firstPosition = step == 0 ? 0 : ids.Length + step - 1;
                using var stepWriter = writer.BeginStep(step);
                capture.Sink = (name, op, type, ne, madeContiguous, data) => stepWriter.Add(name, op, type, ne, madeContiguous, data);
                ctx.Decode(stepTokens, firstPosition);
                if (capture.Failure is not null)
                {
                    throw capture.Failure;
                }

                generated.Add(LlamaContext.ArgMax(ctx.Logits(stepTokens.Length - 1)));
                var positions = Enumerable.Range(firstPosition, stepTokens.Length).ToArray();
                var manifest = stepWriter.Complete(stepTokens, positions, [.. generated]);
                perStep.Add(new JsonObject { ["step"] = step, ["tensors"] = manifest.Tensors.Count, ["argmax"] = generated[^1] });
                RunnerOutput.Progress(step + 1, nSteps + 1, "step");
            }

            writer.Complete(generated);
            return RunnerOutput.Write(new JsonObject
            {
                ["out"] = writer.RunDirectory,
                ["tokens"] = RunnerOutput.Array(ids),
                ["generated"] = RunnerOutput.Array(generated),
                ["steps"] = perStep,
            });
        });
        return command;
    }
}

using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Parity.Runner.Verbs;

/// <summary>
/// <c>bench</c>: llama.cpp's prompt processing and generation speed with no eval callback. D context tokens are decoded
/// once (untimed, as llama-bench's depth); per repetition, the KV cache is cut back to them, N prompt tokens are decoded
/// in one batch (logits for the last only), then G tokens one at a time.
/// </summary>
internal static unsafe class BenchVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Required = true, Description = "GGUF model" };
        var promptTokens = new Option<int>("--prompt-tokens") { DefaultValueFactory = _ => 64, Description = "Prompt length" };
        var genTokens = new Option<int>("--gen-tokens") { DefaultValueFactory = _ => 16, Description = "Tokens generated one at a time" };
        var reps = new Option<int>("--reps") { DefaultValueFactory = _ => 1, Description = "Repetitions" };
        var depth = new Option<int>("--depth") { DefaultValueFactory = _ => 0, Description = "Context tokens already in the cache before the prompt (untimed)" };
        var command = new Command("bench", "Time prompt processing and generation") { model, promptTokens, genTokens, reps, depth };
        DecodeOptions.AddTo(command);
        command.SetAction(parse =>
        {
            var options = DecodeOptions.From(parse);
            int n = parse.GetValue(promptTokens), g = parse.GetValue(genTokens), d = parse.GetValue(depth);
            RunnerGlobals.Start(parse);
            var load = Stopwatch.StartNew();
            using var m = LlamaModel.Load(parse.GetValue(model)!, repack: options.Repack);
            using var ctx = new LlamaContext(m, options, d + n + g, Math.Max(n, d));
            var loadSeconds = load.Elapsed.TotalSeconds;
            var prompt = BenchTokens.Prompt(n, m.VocabSize);
            var context = BenchTokens.Prompt(d, m.VocabSize);
            var pp = new JsonArray();
            var tg = new JsonArray();
            if (d > 0)
            {
                ctx.Decode(context, 0, allLogits: false);
            }

            for (var r = 0; r < parse.GetValue(reps); r++)
            {
                ctx.TruncateMemory(d);

                var sw = Stopwatch.StartNew();
                ctx.Decode(prompt, d, allLogits: false);
                pp.Add(sw.Elapsed.TotalSeconds);
                var next = LlamaContext.ArgMax(ctx.Logits(-1));
                sw.Restart();
                for (var i = 0; i < g; i++)
                {
                    ctx.Decode([next], d + n + i, allLogits: false);
                    next = LlamaContext.ArgMax(ctx.Logits(-1));
                }

                tg.Add(sw.Elapsed.TotalSeconds);
            }

            return RunnerOutput.Write(new JsonObject { ["loadSeconds"] = loadSeconds, ["promptSeconds"] = pp, ["genSeconds"] = tg, ["rssBytes"] = Environment.WorkingSet, ["peakRssBytes"] = ProcessMemory.PeakResidentBytes });
        });
        return command;
    }
}

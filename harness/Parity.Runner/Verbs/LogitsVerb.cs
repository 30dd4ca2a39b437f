using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Parity.Runner.Verbs;

/// <summary>
/// <c>logits</c>: a plain decode with no eval callback, writing every position's logits as float32 rows, then
/// <c>--steps N</c> greedy single-token decodes (their logits appended). The reference a dump is checked against:
/// dumping must not change what it measures.
/// </summary>
internal static unsafe class LogitsVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Required = true, Description = "GGUF model" };
        var tokens = new Option<string>("--tokens") { Required = true, Description = "Comma-separated token ids of the prompt" };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 0, Description = "Greedy single-token decode steps after the prompt" };
        var output = new Option<string>("--out") { Required = true, Description = "Output file: float32 rows of n_vocab, one per prompt position then one per step" };
        var oneByOne = new Option<bool>("--one-by-one") { Description = "Decode the prompt one token per llama_decode call instead of one batch" };
        var command = new Command("logits", "Decode tokens without dumping and write the logits") { model, tokens, steps, output, oneByOne };
        DecodeOptions.AddTo(command);
        command.SetAction(parse =>
        {
            var ids = TokenIds.Parse(parse.GetValue(tokens)!);
            var options = DecodeOptions.From(parse);
            var nSteps = parse.GetValue(steps);
            RunnerGlobals.Start(parse);
            using var m = LlamaModel.Load(parse.GetValue(model)!, repack: options.Repack);
            using var ctx = new LlamaContext(m, options, ids.Length + nSteps, ids.Length);
            var rows = new List<float[]>();
            if (parse.GetValue(oneByOne))
            {
                // The single-token path (vec_dot everywhere, no tinyBLAS): what a batch must agree with.
                for (var i = 0; i < ids.Length; i++)
                {
                    ctx.Decode([ids[i]], i);
                    rows.Add(ctx.Logits(0).ToArray());
                }
            }
            else
            {
                ctx.Decode(ids, 0);
                for (var i = 0; i < ids.Length; i++)
                {
                    rows.Add(ctx.Logits(i).ToArray());
                }
            }

            var generated = new List<int>();
            for (var s = 1; s <= nSteps; s++)
            {
                var next = LlamaContext.ArgMax(rows[^1]);
                generated.Add(next);
                ctx.Decode([next], ids.Length + s - 1);
                rows.Add(ctx.Logits(0).ToArray());
            }

            var full = Path.GetFullPath(parse.GetValue(output)!);
            var temp = $"{full}.tmp-{Environment.ProcessId}";
            using (var f = File.Create(temp))
            {
                foreach (var row in rows)
                {
                    f.Write(MemoryMarshal.AsBytes(row.AsSpan()));
                }
            }

            File.Move(temp, full, overwrite: true);
            return RunnerOutput.Write(new JsonObject
            {
                ["out"] = full,
                ["rows"] = rows.Count,
                ["vocab"] = m.VocabSize,
                ["argmax"] = RunnerOutput.Array(rows.Select(r => LlamaContext.ArgMax(r))),
                ["generated"] = RunnerOutput.Array(generated),
            });
        });
        return command;
    }
}

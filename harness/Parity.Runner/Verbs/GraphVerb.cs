using System.CommandLine;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Parity.Runner.Verbs;

/// <summary>
/// <c>graph</c>: decode a prompt and list every node the eval callback delivers (name, op, type, ne, whether it was
/// a non-contiguous view), without keeping data: what llama.cpp computes, in order.
/// </summary>
internal static unsafe class GraphVerb
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Required = true, Description = "GGUF model" };
        var tokens = new Option<string>("--tokens") { Required = true, Description = "Comma-separated token ids" };
        var filter = new Option<string?>("--filter") { Description = "Only nodes whose name matches this regular expression" };
        var command = new Command("graph", "List the graph nodes llama.cpp computes for a prompt") { model, tokens, filter };
        DecodeOptions.AddTo(command);
        command.SetAction(parse =>
        {
            var ids = TokenIds.Parse(parse.GetValue(tokens)!);
            var options = DecodeOptions.From(parse);
            var capture = new GraphTensorCapture(parse.GetValue(filter) is { } f ? new Regex(f, RegexOptions.CultureInvariant) : null);
            var nodes = new JsonArray();
            capture.Sink = (name, op, type, ne, madeContiguous, data) => nodes.Add(new JsonObject
            {
                ["name"] = name,
                ["op"] = op,
                ["type"] = type,
                ["ne"] = RunnerOutput.Array(ne),
                ["view"] = madeContiguous,
            });
            RunnerGlobals.Start(parse);
            using var m = LlamaModel.Load(parse.GetValue(model)!, repack: options.Repack);
            capture.Activate();
            using var ctx = new LlamaContext(m, options, ids.Length, ids.Length, GraphTensorCapture.Callback);
            ctx.Decode(ids, 0);
            if (capture.Failure is not null)
            {
                throw capture.Failure;
            }

            return RunnerOutput.Write(new JsonObject { ["nodes"] = nodes });
        });
        return command;
    }
}

using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Parity.Runner.Native;

namespace Parity.Runner.Verbs;

/// <summary><c>info</c>: which llama.cpp this is (commit, ggml version, library variant) and the system info.</summary>
internal static class InfoVerb
{
    public static Command Create()
    {
        var command = new Command("info", "Print the llama.cpp commit, ggml version, library variant and system info");
        command.SetAction(parse =>
        {
            RunnerGlobals.Start(parse);
            return RunnerOutput.Write(new JsonObject
            {
                ["llamaCppCommit"] = LlamaLibrary.Variant == "custom" ? null : LlamaAbi.PinnedCommit,
                ["ggmlVersion"] = Marshal.PtrToStringUTF8(LlamaApi.ggml_version()),
                ["ggmlCommit"] = Marshal.PtrToStringUTF8(LlamaApi.ggml_commit()),
                ["variant"] = LlamaLibrary.Variant,
                ["libraryDirectory"] = LlamaLibrary.Directory,
                ["systemInfo"] = Marshal.PtrToStringUTF8(LlamaApi.llama_print_system_info())?.Trim(),
            });
        });
        return command;
    }
}

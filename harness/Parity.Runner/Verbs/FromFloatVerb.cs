using System.CommandLine;
using System.Text.Json.Nodes;
using Parity.Gguf;
using Parity.Runner.Native;

namespace Parity.Runner.Verbs;

/// <summary>
/// <c>fromfloat</c>: a row of floats through the CPU <c>from_float</c> of a ggml type, the conversion SET_ROWS applies
/// when it writes a KV cache row of that type. The oracle for the engine's cache quantizers.
/// </summary>
internal static unsafe class FromFloatVerb
{
    public static Command Create()
    {
        var type = new Option<string>("--type") { Required = true, Description = "ggml type name: q8_0, q4_0, q4_1, q5_0, q5_1, iq4_nl, bf16, f16" };
        var input = new Option<string>("--activations") { Required = true, Description = "File of float32 values, a whole number of the type's blocks" };
        var output = new Option<string>("--out") { Required = true, Description = "Output file: the type's blocks" };
        var command = new Command("fromfloat", "Convert a row of floats with ggml's CPU from_float of a type") { type, input, output };
        command.SetAction(parse =>
        {
            var name = parse.GetValue(type)!;
            var info = Enum.GetValues<GgmlType>().Select(t => GgmlTypeInfo.TryGet(t, out var i) ? i : default)
                .FirstOrDefault(i => i.GgmlName is not null && string.Equals(i.GgmlName, name, StringComparison.OrdinalIgnoreCase));
            if (info.GgmlName is null)
            {
                throw new RunnerException(RunnerExitCodes.BadInput, $"--type '{name}': not a ggml type");
            }

            var x = File.ReadAllBytes(parse.GetValue(input)!);
            var k = x.Length / 4;
            if (x.Length % 4 != 0 || k % info.BlockSize != 0)
            {
                throw new RunnerException(RunnerExitCodes.BadInput, $"--activations: {x.Length} bytes, expected float32 values in whole blocks of {info.BlockSize}");
            }

            RunnerGlobals.Start(parse);
            LlamaApi.ggml_cpu_init();
            var traits = (byte*)LlamaApi.ggml_get_type_traits_cpu((int)info.Type);
            var fromFloat = *(delegate* unmanaged[Cdecl]<float*, void*, long, void>*)(traits + Abi.LlamaLayout.Current.Offset("ggml_type_traits_cpu.from_float"));
            if (fromFloat == null)
            {
                throw new RunnerException(RunnerExitCodes.BadInput, $"ggml has no CPU from_float for {info.GgmlName}");
            }

            var y = new byte[info.RowBytes(k)];
            fixed (byte* xp = x)
            fixed (byte* yp = y)
            {
                fromFloat((float*)xp, yp, k);
            }

            var full = Path.GetFullPath(parse.GetValue(output)!);
            var temp = $"{full}.tmp-{Environment.ProcessId}";
            File.WriteAllBytes(temp, y);
            File.Move(temp, full, overwrite: true);
            return RunnerOutput.Write(new JsonObject { ["type"] = info.GgmlName, ["values"] = k, ["bytes"] = y.Length });
        });
        return command;
    }
}

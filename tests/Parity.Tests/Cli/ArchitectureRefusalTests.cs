using Parity.Engine.Architectures;
using Parity.Engine.Model;
using Parity.Gguf;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Cli;

/// <summary>
/// A model the engine does not implement is refused by name with exit 2 before llama.cpp runs, never computed as llama:
/// an unknown architecture, a tensor the llama unit does not take (a bias), a RoPE scaling it does not compute.
/// </summary>
[TestFixture]
public sealed class ArchitectureRefusalTests
{
    [Test]
    public void Run_refuses_an_architecture_the_engine_does_not_implement_naming_it_before_llama_cpp_runs()
    {
        using var temp = new TempDirectory();
        var model = GgufEdits.Micro(temp.File("mamba.gguf"), (key, value) => key == GgufKeys.Architecture ? GgufValue.Of("mamba") : value, key => key.Replace("llama.", "mamba.", StringComparison.Ordinal));
        var (code, stdout, stderr) = ParityCli.Run("run", "--model", model, "--prompt", "Hello", "--out", temp.File("out"));
        Assert.That(code, Is.EqualTo(2), stdout + stderr);
        Assert.That(stderr, Does.Contain($"architecture 'mamba' is not implemented by the engine (implemented: {string.Join(", ", ArchitectureRegistry.BuiltIn.Names)})"));
        Assert.That(Directory.Exists(temp.File("out/llama.cpp")), Is.False, "refused before llama.cpp runs");

        var (bisect, _, bisectErr) = ParityCli.Run("bisect", "--model", model, "--prompt", "Hello", "--out", temp.File("bisect"));
        Assert.That(bisect, Is.EqualTo(2), bisectErr);
        Assert.That(bisectErr, Does.Contain("'mamba'"));
        var (dump, _, dumpErr) = ParityCli.Run("dump", "--side", "engine", "--model", model, "--prompt", "Hello", "--out", temp.File("dump"));
        Assert.That(dump, Is.EqualTo(2), dumpErr);
        Assert.That(dumpErr, Does.Contain("'mamba'"));
        foreach (var verb in new[] { new[] { "bench", "--model", model, "--reps", "1" }, ["generate", "--model", model, "--prompt", "Hello"] })
        {
            var (code2, _, err) = ParityCli.Run(verb);
            Assert.That(code2, Is.EqualTo(2), $"{verb[0]}: {err}");
            Assert.That(err, Does.Contain("architecture 'mamba' is not implemented"), verb[0]);
        }
    }

    [Test]
    public void A_tensor_the_llama_unit_does_not_take_is_refused_by_name()
    {
        using var temp = new TempDirectory();
        var model = GgufEdits.Micro(temp.File("bias.gguf"), extraTensor: ("blk.0.attn_q.bias", 256));
        var e = Assert.Throws<UnsupportedModelException>(() => Transformer.Check(model));
        Assert.That(e!.Message, Does.Contain("'blk.0.attn_q.bias'").And.Contain("llama unit does not implement"));
        var (code, _, stderr) = ParityCli.Run("run", "--model", model, "--prompt", "Hello", "--out", temp.File("out"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("blk.0.attn_q.bias"));
    }

    [Test]
    public void A_rope_scaling_the_engine_does_not_compute_is_refused_by_name()
    {
        using var temp = new TempDirectory();
        var model = GgufEdits.Micro(temp.File("yarn.gguf"), extraKey: ("llama.rope.scaling.type", GgufValue.Of("yarn")));
        var e = Assert.Throws<UnsupportedModelException>(() => Transformer.Check(model));
        Assert.That(e!.Message, Does.Contain("rope.scaling.type 'yarn'"));
    }

    [Test]
    public void A_gemma2_sliding_window_of_zero_is_refused_naming_the_key()
    {
        using var temp = new TempDirectory();
        var path = temp.File("gemma2-window0.gguf");
        SyntheticModel.Write(SyntheticPresets.Gemma2Mini with { NLayer = 1, SlidingWindow = 0 }, path);
        var e = Assert.Throws<UnsupportedModelException>(() => Transformer.Check(path));
        Assert.That(e!.Message, Does.Contain("gemma2.attention.sliding_window 0 (a sliding layer that sees no cell) is not implemented"));
    }

    [Test]
    public void A_registry_names_every_unit_and_an_added_unit_is_found()
    {
        Assert.That(ArchitectureRegistry.BuiltIn.Names, Does.Contain("llama"));
        var registry = ArchitectureRegistry.BuiltIn.With(new Renamed());
        Assert.That(registry.Names, Is.EquivalentTo(ArchitectureRegistry.BuiltIn.Names.Append("llama-test")));
        Assert.That(ArchitectureRegistry.BuiltIn.Names, Does.Not.Contain("llama-test"), "With returns a copy");
    }

    private sealed class Renamed : LlamaArchitecture
    {
        public override string Name => "llama-test";
    }
}

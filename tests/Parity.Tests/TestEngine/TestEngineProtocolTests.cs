using System.Text.Json;
using System.Text.RegularExpressions;
using Parity.Dump;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.TestEngine;

/// <summary>
/// The test engine as a protocol peer: its handshake answer, and the refusals (exit 3, a stderr line naming what it does
/// not implement, no output) for a quantized model, another architecture, a configuration it does not implement and a
/// protocol version it does not know.
/// </summary>
[TestFixture]
public sealed class TestEngineProtocolTests
{
    private TempDirectory _temp = null!;

    [OneTimeSetUp]
    public void Setup() => _temp = new TempDirectory();

    [OneTimeTearDown]
    public void Cleanup() => _temp.Dispose();

    [Test]
    public void The_capabilities_answer_names_the_engine_and_offers_teacher_forcing()
    {
        var response = _temp.File("capabilities.json");
        var (code, stderr, _) = TestEngineProcess.Run(_temp, new() { ["protocol"] = "parity-engine", ["protocolVersion"] = 1, ["action"] = "capabilities", ["response"] = response });

        Assert.That(code, Is.Zero, stderr);
        using var answer = JsonDocument.Parse(File.ReadAllText(response));
        var root = answer.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("protocolVersion").GetInt32(), Is.EqualTo(1));
            Assert.That(root.GetProperty("name").GetString(), Is.EqualTo("parity-test-engine"));
            Assert.That(root.GetProperty("version").GetString(), Is.EqualTo("1"));
            Assert.That(root.GetProperty("teacherForcing").GetBoolean(), Is.True);
            Assert.That(root.GetProperty("numerics").GetString(), Is.EqualTo("f32"));
        });
        var patterns = root.GetProperty("tensors").EnumerateArray().Select(p => new Regex($"^(?:{p.GetString()})$")).ToList();
        Assert.That(patterns.Select(p => p.IsMatch("model.layers.0.self_attn.rotary_q")), Has.Some.True);
        Assert.That(patterns.Select(p => p.IsMatch("model.layers.0.self_attn.rotary_x")), Has.None.True);
    }

    [TestCase("parity-test-engine.json", "1")]
    [TestCase("parity-test-engine-rope-bug.json", "1 (--bug rope-pairing)")]
    public void Its_engine_config_files_run_the_built_engine_with_its_name_map(string file, string version)
    {
        // Resolved as docs/external-engines.md says: a command[0] with a '/' and the name map from the config's directory.
        var config = Path.Combine(AppContext.BaseDirectory, file);
        using var json = JsonDocument.Parse(File.ReadAllText(config));
        var command = json.RootElement.GetProperty("command").EnumerateArray().Select(a => a.GetString()!).ToArray();
        command[0] = Path.GetFullPath(command[0], AppContext.BaseDirectory);
        var response = _temp.File(file + ".answer");

        var (code, stderr, _) = TestEngineProcess.Run(_temp, new() { ["protocol"] = "parity-engine", ["protocolVersion"] = 1, ["action"] = "capabilities", ["response"] = response }, command);

        Assert.That(code, Is.Zero, stderr);
        using var answer = JsonDocument.Parse(File.ReadAllText(response));
        Assert.That(answer.RootElement.GetProperty("version").GetString(), Is.EqualTo(version));
        var map = Parity.Harness.Compare.NameMap.Load(Path.Combine(AppContext.BaseDirectory, json.RootElement.GetProperty("nameMap").GetString()!));
        Assert.That(map.RuleCount, Is.EqualTo(24));
    }

    [Test]
    public void An_unknown_protocol_version_is_refused_with_exit_3()
    {
        var output = _temp.File("v2");
        var request = TestEngineProcess.Dump(Models.Synthetic(SyntheticPresets.Micro), [1, 2], 0, null, output);
        request["protocolVersion"] = 2;

        var (code, stderr, _) = TestEngineProcess.Run(_temp, request);

        Assert.That(code, Is.EqualTo(3), stderr);
        Assert.That(stderr, Does.Contain("protocolVersion 2").And.Contain("version 1 only"));
        Assert.That(Directory.Exists(output), Is.False);
    }

    [Test]
    public async Task A_quantized_model_is_refused_by_tensor_type_with_exit_3()
    {
        var q8 = await Models.Quantized(SyntheticPresets.Micro, "Q4_1");
        var output = _temp.File("q4_1");

        var (code, stderr, _) = TestEngineProcess.Run(_temp, TestEngineProcess.Dump(q8, [1, 2], 1, null, output));

        Assert.That(code, Is.EqualTo(3), stderr);
        Assert.That(stderr, Does.Contain("refused").And.Contain(q8).And.Contain("q4_1").And.Contain("F32, F16, Q8_0, Q4_K and Q6_K weights only"));
        Assert.That(Directory.Exists(output), Is.False);
    }

    [Test]
    public void Another_architecture_is_refused_by_name_with_exit_3()
    {
        var qwen2 = Models.Synthetic(SyntheticPresets.Qwen2Mini);
        var output = _temp.File("qwen2");

        var (code, stderr, _) = TestEngineProcess.Run(_temp, TestEngineProcess.Dump(qwen2, [1, 2], 1, null, output));

        Assert.That(code, Is.EqualTo(3), stderr);
        Assert.That(stderr, Does.Contain("architecture 'qwen2'").And.Contain("'llama' only"));
        Assert.That(Directory.Exists(output), Is.False);
    }

    [Test]
    public void An_option_it_does_not_know_is_bad_input_with_the_usage()
    {
        var response = _temp.File("never.json");
        var request = new Dictionary<string, object?> { ["protocol"] = "parity-engine", ["protocolVersion"] = 1, ["action"] = "capabilities", ["response"] = response };

        var (code, stderr, _) = TestEngineProcess.Run(_temp, request, [.. TestEngineProcess.Command(), "--kv-cache", "q8_0"]);

        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("option '--kv-cache' with 'q8_0' not understood").And.Contain("usage: Parity.TestEngine [--bug rope-pairing]"));
        Assert.That(File.Exists(response), Is.False);
    }

    [TestCase("q8_0", "f16", false, "options.typeK 'q8_0': this engine keeps an f16 or f32 KV cache only")]
    [TestCase("f16", "bf16", false, "options.typeV 'bf16': this engine keeps an f16 or f32 KV cache only")]
    [TestCase("f16", "f16", true, "options.flashAttention true; this engine does not implement flash attention")]
    public void A_configuration_it_does_not_implement_is_refused_with_exit_3(string typeK, string typeV, bool flashAttention, string named)
    {
        var output = _temp.File($"config-{typeK}-{typeV}-{flashAttention}");
        var options = new DumpOptions { Threads = 2, FlashAttention = flashAttention, TypeK = typeK, TypeV = typeV, Repack = true, NCtx = 256, NBatch = 2, OutputAll = true };

        var (code, stderr, _) = TestEngineProcess.Run(_temp, TestEngineProcess.Dump(Models.Synthetic(SyntheticPresets.Micro), [1, 2], 1, null, output, options: options));

        Assert.That(code, Is.EqualTo(3), stderr);
        Assert.That(stderr, Does.Contain("refused").And.Contain(named));
        Assert.That(Directory.Exists(output), Is.False);
    }

    [Test]
    public void A_malformed_request_is_bad_input_naming_the_member()
    {
        var request = TestEngineProcess.Dump(Models.Synthetic(SyntheticPresets.Micro), [1, 2], 2, [5], _temp.File("bad"));

        var (code, stderr, _) = TestEngineProcess.Run(_temp, request);

        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain("'teacherTokens' has 1 entries; 'steps' is 2"));
    }
}

using Parity.Gguf;
using Parity.Tests.Support;

namespace Parity.Tests.Gguf;

/// <summary>
/// Model-level validation before anything runs: a known key with a valid but wrong value type, or a value llama.cpp
/// would refuse, is exit 2 naming the key and its real offset, not a crash and not llama.cpp's failure (125).
/// </summary>
[TestFixture]
public sealed class HyperparameterValidationTests
{
    [TestCase("llama.block_count", "f32", "a u32 count")]
    [TestCase("llama.attention.head_count", "f64", "a u32 count")]
    [TestCase("general.architecture", "u32", "a string")]
    [TestCase("llama.block_count", "zero", "a count of at least 1")]
    [TestCase("llama.attention.layer_norm_rms_epsilon", "nan", "a positive, finite epsilon")]
    [TestCase("llama.attention.layer_norm_rms_epsilon", "negative", "a positive, finite epsilon")]
    [TestCase("llama.rope.dimension_count", "seven", "an even count of rotated dimensions")]
    [TestCase("llama.rope.dimension_count", "zero", "an even count of rotated dimensions")]
    public void A_wrong_hyperparameter_is_refused_with_exit_2_naming_the_key_and_its_offset(string key, string change, string expected)
    {
        using var temp = new TempDirectory();
        var model = GgufEdits.Micro(temp.File("bad.gguf"), (k, v) => k == key ? Replacement(change) : v);
        var (code, stdout, stderr) = ParityCli.Run("run", "--model", model, "--prompt", "Hello", "--out", temp.File("out"));
        Assert.That(code, Is.EqualTo(2), stdout + stderr);
        Assert.That(stderr, Does.Contain($"metadata '{key}'").And.Contain(expected));
        using var file = GgufFile.Open(model);
        Assert.That(stderr, Does.Contain($"byte {file.ValueOffset(key)}"), "the key's real offset");
        Assert.That(file.ValueOffset(key), Is.GreaterThan(0));
        Assert.That(Directory.Exists(temp.File("out/llama.cpp")), Is.False, "refused before llama.cpp runs");
    }

    [Test]
    public void A_file_without_a_token_list_is_reported_as_having_no_vocabulary()
    {
        using var temp = new TempDirectory();
        var model = GgufEdits.Micro(temp.File("novocab.gguf"), key: k => k is GgufKeys.Tokens or "llama.vocab_size" ? "x." + k : k);
        using var file = GgufFile.Open(model);
        var e = Assert.Throws<KeyNotFoundException>(() => LlamaHyperparameters.Read(file));
        Assert.That(e!.Message, Does.Contain("'tokenizer.ggml.tokens' is missing").And.Contain("no vocabulary"));
    }

    private static GgufValue Replacement(string change) => change switch
    {
        "f32" => GgufValue.Of(2.0f),
        "f64" => GgufValue.Of(4.0),
        "u32" => GgufValue.Of(7u),
        "zero" => GgufValue.Of(0u),
        "seven" => GgufValue.Of(7u),
        "nan" => GgufValue.Of(float.NaN),
        "negative" => GgufValue.Of(-1e-5f),
        _ => throw new ArgumentException(change),
    };
}

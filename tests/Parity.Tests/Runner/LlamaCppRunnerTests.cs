using Parity.Gguf;
using Parity.Harness.Runner;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Runner;

/// <summary>The real parity-runner over the llama.cpp libraries of LLamaSharp.Backend.Cpu 0.30.0.</summary>
[TestFixture]
public sealed class LlamaCppRunnerTests
{
    public static readonly string[] IssueTypes = ["F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K_M", "Q4_K_M", "Q5_K_M", "Q6_K"];

    [Test]
    public async Task The_runner_reports_the_pinned_llama_cpp_and_the_library_variant()
    {
        var info = await Models.Runner.InfoAsync();
        Assert.That(info.LlamaCppCommit, Does.StartWith("815a2a5"));
        Assert.That(info.GgmlVersion, Is.EqualTo("0.18.0"));
        Assert.That(info.GgmlCommit, Does.StartWith("815a2a5"), "the libraries themselves were built from that commit");
        Assert.That(info.Variant, Is.AnyOf("avx512", "avx2", "avx", "noavx"));
        Assert.That(info.SystemInfo, Does.Contain("CPU"));
    }

    [Test]
    public async Task A_directory_without_llama_cpp_is_reported_as_a_missing_library()
    {
        using var temp = new TempDirectory();
        var e = await Assert.ThrowsAsync<LlamaCppRunnerException>(() => Models.Runner.WithLibraryDirectory(temp.Path).InfoAsync());
        Assert.That(e!.Kind, Is.EqualTo(RunnerFailureKind.MissingLibrary));
        Assert.That(e.Message, Does.Contain("libggml-base.so is missing"));
    }

    [Test]
    public async Task The_synthetic_vocabulary_tokenizes_a_greeting_into_several_pieces_after_bos()
    {
        var tokens = await Models.Runner.TokenizeAsync(Models.Synthetic(SyntheticPresets.TinyLlamaMini), "Hello, how are you?");
        Assert.That(tokens[0], Is.EqualTo(SyntheticVocabulary.BosId));
        Assert.That(tokens, Has.Length.InRange(5, 12));
    }

    [Test]
    public async Task Llama_cpp_tokenizes_its_own_spm_test_vectors()
    {
        var vocab = SharedFixtures.Require("tokenizer/ggml-vocab-llama-spm.gguf");
        var inputs = File.ReadAllText(vocab + ".inp").Split("\n__ggml_vocab_test__\n");
        var outputs = File.ReadAllLines(vocab + ".out");
        Assert.That(inputs, Has.Length.EqualTo(outputs.Length).Or.Length.EqualTo(outputs.Length + 1));
        for (var i = 0; i < outputs.Length; i++)
        {
            var tokens = await Models.Runner.TokenizeAsync(vocab, inputs[i], addSpecial: false, parseSpecial: false);
            Assert.That(string.Join(' ', tokens), Is.EqualTo(outputs[i].Trim()), $"case {i}: '{inputs[i]}'");
        }
    }

    [Test]
    public async Task Every_listed_type_quantizes_from_the_synthetic_model_with_the_expected_main_type()
    {
        var source = Models.Synthetic(SyntheticPresets.Micro);
        using var temp = new TempDirectory();
        foreach (var type in IssueTypes)
        {
            var result = await Models.Runner.QuantizeAsync(source, temp.File($"micro-{type}.gguf"), type);
            var q = result.Tensors.Single(t => t.Name == "blk.0.attn_q.weight");
            Assert.That(q.Type, Is.EqualTo(MainType(type)), $"{type}: attn_q");
            Assert.That(result.Tensors.Single(t => t.Name == "blk.0.attn_norm.weight").Type, Is.EqualTo("f32"), "norms stay f32");
            Assert.That(result.Fallbacks, Is.Empty, $"{type}: every row of micro fits every block size");
            using var file = GgufFile.Open(result.OutputPath);
            Assert.That(file.GetTensor("blk.0.attn_q.weight").Type.ToString().ToLowerInvariant(), Is.EqualTo(q.Type.ToLowerInvariant()));
        }
    }

    /// <summary>
    /// stories260K's rows (64 and 172) fit no 256-element K-quant super-block, and 172 is not even a multiple of 32:
    /// llama.cpp falls back for the K-quants and refuses the legacy 32-block types outright. Both are llama.cpp's
    /// behaviour, reported as it is.
    /// </summary>
    [Test]
    public async Task Every_listed_type_quantizes_from_stories260K_where_llama_cpp_allows_it_and_reports_the_fallbacks()
    {
        var source = SharedFixtures.Require("models/stories260K.gguf");
        using var temp = new TempDirectory();
        foreach (var type in IssueTypes)
        {
            var output = temp.File($"s-{type}.gguf");
            if (type is "Q8_0" or "Q4_0" or "Q4_1" or "Q5_0" or "Q5_1")
            {
                var e = await Assert.ThrowsAsync<LlamaCppRunnerException>(() => Models.Runner.QuantizeAsync(source, output, type));
                Assert.That(e!.Message, Does.Contain("ffn_down.weight").And.Contain("not divisible by  32"), type);
                Assert.That(File.Exists(output), Is.False, "no partial output");
                continue;
            }

            var result = await Models.Runner.QuantizeAsync(source, output, type);
            Assert.That(result.Tensors, Has.Count.EqualTo(48), type);
            if (type.Contains("_K", StringComparison.Ordinal))
            {
                Assert.That(result.Fallbacks, Is.Not.Empty, $"{type}: rows of 64 and 172 do not fit 256-element super-blocks");
                Assert.That(result.Tensors.Single(t => t.Name == "blk.0.attn_q.weight").Type, Is.Not.EqualTo(MainType(type)));
            }
        }
    }

    [Test]
    public async Task Dequantize_gives_ggmls_values_for_q8_0_blocks_and_f16()
    {
        using var temp = new TempDirectory();
        var q8 = await Models.Quantized(SyntheticPresets.Micro, "Q8_0");
        using var file = GgufFile.Open(q8);
        var tensor = file.GetTensor("blk.0.attn_k.weight");
        Assert.That(tensor.Type, Is.EqualTo(GgmlType.Q8_0));
        var values = await Models.Runner.DequantizeAsync(q8, tensor.Name, 3, 5, temp.File("rows.f32"));
        Assert.That(values, Has.Length.EqualTo(2 * tensor.RowLength));

        // block_q8_0: an f16 scale d then 32 int8 quants; value = d * q.
        var bytes = file.GetTensorBytes(tensor);
        var rowBytes = (int)tensor.TypeInfo.RowBytes(tensor.RowLength);
        for (var i = 0; i < values.Length; i++)
        {
            var block = bytes.Slice(3 * rowBytes + i / 32 * 34, 34);
            var d = (float)BitConverter.ToHalf(block[..2]);
            Assert.That(values[i], Is.EqualTo(d * (sbyte)block[2 + i % 32]), $"element {i}");
        }
    }

    private static string MainType(string fileType) => fileType switch
    {
        "F16" => "f16",
        "BF16" => "bf16",
        "Q2_K" => "q2_K",
        "Q3_K_M" => "q3_K",
        "Q4_K_M" => "q4_K",
        "Q5_K_M" => "q5_K",
        "Q6_K" => "q6_K",
        _ => fileType.ToLowerInvariant(),
    };
}

using System.Diagnostics;
using Parity.Engine.Tokenizer;
using Parity.Harness.Runner;

using Parity.Tests.Support;

namespace Parity.Engine.Tests.Tokenizer;

/// <summary>
/// The pre-tokenizer table against the pinned llama.cpp: every name the engine accepts is one llama.cpp loads (so
/// the engine never tokenizes a file llama.cpp would refuse), and names outside the table are refused by name.
/// </summary>
[TestFixture]
public sealed class BpePreTokenizerTests
{
    private static string SmallLlama3 => SharedFixtures.Require(TokenizerPaths.SmallBpe("llama3"));

    [Test]
    public void Every_table_entry_compiles()
    {
        foreach (var entry in BpePreTokenizers.All)
        {
            Assert.DoesNotThrow(entry.Validate, entry.Name);
        }
    }

    /// <summary>
    /// A tiny Llama 3 vocabulary relabelled with each name: the engine and llama.cpp must both load it or both refuse
    /// it (the names that need a separator token are refused by both, for that reason).
    /// </summary>
    [Test]
    public async Task Every_name_the_engine_accepts_is_one_llama_cpp_loads()
    {
        var source = SmallLlama3;
        await LlamaCppTokenizer.RequireAsync();
        var names = BpePreTokenizers.Names;
        var watch = Stopwatch.StartNew();
        var outcomes = await LlamaCppTokenizer.MapAsync(names, async name =>
        {
            var path = TokenizerModels.WithPre(source, name);
            return (Name: name, Engine: EngineRefusal(path), LlamaCpp: await LlamaCppRefusalAsync(path));
        });
        TestContext.Out.WriteLine($"{names.Count} names, {outcomes.Count(o => o.LlamaCpp is null)} loaded by both, in {watch.Elapsed.TotalSeconds:F1} s");

        var disagreements = outcomes.Where(o => (o.Engine is null) != (o.LlamaCpp is null))
            .Select(o => $"{o.Name}: engine {o.Engine ?? "loads it"}; llama.cpp {o.LlamaCpp ?? "loads it"}");
        Assert.That(disagreements, Is.Empty);
    }

    private static string? EngineRefusal(string path)
    {
        try
        {
            Tokenizers.Load(path);
            return null;
        }
        catch (VocabularyException e)
        {
            return e.Message;
        }
    }

    private static async Task<string?> LlamaCppRefusalAsync(string path)
    {
        try
        {
            await LlamaCppTokenizer.TokenizeAsync(path, "x", addSpecial: false, parseSpecial: false);
            return null;
        }
        catch (LlamaCppRunnerException e)
        {
            return e.Message;
        }
    }

    [TestCase("xyz", "llama.cpp does not know it either")]
    [TestCase("kimi-k2", "llama.cpp knows it, the engine does not implement it")]
    public void A_name_outside_the_table_is_refused_by_name(string pre, string why)
    {
        var path = TokenizerModels.WithPre(SmallLlama3, pre);

        var e = Assert.Throws<VocabularyException>(() => Tokenizers.Load(path));

        Assert.That(e!.Message, Does.StartWith($"{path}: tokenizer.ggml.pre is '{pre}' ({why}); the engine implements: ").And.Contain("llama-bpe").And.Contain("qwen2"));
    }

    [Test]
    public async Task An_unknown_name_is_refused_by_llama_cpp_too()
    {
        var path = TokenizerModels.WithPre(SmallLlama3, "xyz");
        await LlamaCppTokenizer.RequireAsync();

        var e = await Assert.ThrowsAsync<LlamaCppRunnerException>(() => LlamaCppTokenizer.TokenizeAsync(path, "x", addSpecial: false, parseSpecial: false));

        Assert.That(e!.Message, Does.Contain(path));
    }

    [Test]
    public void An_absent_name_is_the_default_pre_tokenizer_with_its_flags()
    {
        var vocab = Tokenizers.Load(TokenizerModels.WithPre(SmallLlama3, null)).Vocabulary;

        Assert.That(vocab.PreTokenizerName, Is.Empty);
        Assert.That((vocab.AddBos, vocab.AddEos, vocab.AddSpacePrefix), Is.EqualTo((false, false, false)), "no add_bos_token key in the file: BPE's default is no BOS");
    }
}

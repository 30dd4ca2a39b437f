using System.Diagnostics;
using System.Text;
using Parity.Engine.Tokenizer;
using Parity.Harness.Runner;
using Parity.Harness.Synthetic;

using Parity.Tests.Support;

namespace Parity.Engine.Tests.Tokenizer;

/// <summary>
/// Byte-level BPE against llama.cpp itself: 500 generated texts per vocabulary, each tokenized with one of the four
/// (add_special, parse_special) combinations and its ids detokenized with one of the four (remove_special,
/// unparse_special) combinations, plus random id sequences detokenized (pieces that split UTF-8 characters, special
/// tokens). One runner process per vocabulary answers all of them. Every disagreement is reported together.
/// </summary>
[TestFixture]
public sealed class BpeAgreementTests
{
    private const int TextCount = 500;
    private const int RandomSequences = 100;
    private const int RelabelledTextCount = 200;
    private const ulong Seed = 0xB9E_5EED;

    private static readonly (bool A, bool B)[] Flags = [(false, false), (true, true), (true, false), (false, true)];

    [TestCase("deepseek-coder")]
    [TestCase("deepseek-llm")]
    [TestCase("gpt-2")]
    [TestCase("starcoder")]
    [TestCase("falcon")]
    [TestCase("mpt")]
    [TestCase("refact")]
    [TestCase("gpt-neox")]
    [TestCase("small llama3")]
    [TestCase("small qwen2")]
    [TestCase("small smollm")]
    [TestCase("small gpt4o")]
    [TestCase("small qwen35")]
    public async Task Tokens_and_text_agree_with_llama_cpp(string vocabulary)
    {
        var model = ModelPath(vocabulary);
        await LlamaCppTokenizer.RequireAsync();
        var tokenizer = Tokenizers.Load(model);
        var calls = Calls(tokenizer.Vocabulary);

        var watch = Stopwatch.StartNew();
        var expected = await LlamaCppTokenizer.TokenizeBatchAsync(model, calls);
        var llamaSeconds = watch.Elapsed.TotalSeconds;
        watch.Restart();
        var failures = Compare(tokenizer, calls, expected);
        TestContext.Out.WriteLine($"{vocabulary}: {calls.Count} calls, llama.cpp {llamaSeconds:F2} s, engine {watch.Elapsed.TotalSeconds:F2} s, {calls.Count - failures.Count} agree");

        Assert.That(failures, Is.Empty, $"{failures.Count} of {calls.Count} calls differ from llama.cpp:\n" + string.Join('\n', failures.Take(40)));
    }

    public static IEnumerable<string> PreTokenizerNames() => BpePreTokenizers.OneNameEach;

    /// <summary>
    /// Every pre-tokenizer in the table, on the tiny Llama 3 vocabulary relabelled with its name: the splits (and
    /// the per-name flags: BOS, ignore_merges, clean_spaces) must agree with llama.cpp's for that name.
    /// </summary>
    [TestCaseSource(nameof(PreTokenizerNames))]
    public async Task Every_pre_tokenizer_agrees_with_llama_cpp_on_a_relabelled_vocabulary(string pre)
    {
        var model = TokenizerModels.WithPre(ModelPath("small llama3"), pre);
        await LlamaCppTokenizer.RequireAsync();
        var tokenizer = Tokenizers.Load(model);
        var calls = Calls(tokenizer.Vocabulary, RelabelledTextCount);

        var expected = await LlamaCppTokenizer.TokenizeBatchAsync(model, calls);
        var failures = Compare(tokenizer, calls, expected);

        Assert.That(failures, Is.Empty, $"{failures.Count} of {calls.Count} calls differ from llama.cpp:\n" + string.Join('\n', failures.Take(40)));
    }

    /// <summary>100 KB in one fragment through a 102 400-token vocabulary: the time is printed, the ids must match.</summary>
    [Test]
    public async Task A_100_KB_text_tokenizes_quickly_and_like_llama_cpp()
    {
        var model = ModelPath("deepseek-llm");
        var tokenizer = Tokenizers.Load(model);
        var text = Encoding.UTF8.GetBytes(TokenizerCorpus.Long(100_000, Seed));
        tokenizer.Tokenize("warm up", addSpecial: true, parseSpecial: true);

        var watch = Stopwatch.StartNew();
        var tokens = tokenizer.Tokenize(text, addSpecial: true, parseSpecial: false);
        TestContext.Out.WriteLine($"{text.Length} bytes -> {tokens.Length} tokens in {watch.Elapsed.TotalMilliseconds:F0} ms");

        await LlamaCppTokenizer.RequireAsync();
        var expected = await LlamaCppTokenizer.TokenizeBatchAsync(model, [new TokenizerCall(text, true, false, true, false)]);
        Assert.That(tokens, Is.EqualTo(expected[0].Tokens));
        Assert.That(tokenizer.DetokenizeToBytes(tokens, removeSpecial: true, unparseSpecial: false), Is.EqualTo(expected[0].Text));
    }

    internal static string ModelPath(string vocabulary) => vocabulary.StartsWith("small ", StringComparison.Ordinal)
        ? SharedFixtures.Require(TokenizerPaths.SmallBpe(vocabulary["small ".Length..]))
        : SharedFixtures.Require(TokenizerPaths.Vocab(vocabulary));

    private static List<TokenizerCall> Calls(Vocabulary vocab, int textCount = TextCount)
    {
        // The vocabulary's own special tokens (control and user-defined), so parse_special has something to find.
        var specials = vocab.SpecialTokens.Take(12).Select(id => vocab.Tokens[id]).ToList();
        var texts = BpeCorpus.Texts(textCount, Seed, specials);
        var calls = texts.Select((text, i) => new TokenizerCall(text, Flags[i % 4].A, Flags[i % 4].B, Flags[i / 4 % 4].A, Flags[i / 4 % 4].B)).ToList();

        var rng = new Xoshiro256StarStar(Seed + (ulong)vocab.Count);
        for (var i = 0; i < RandomSequences; i++)
        {
            var ids = Enumerable.Range(0, 1 + rng.NextInt(12)).Select(_ => rng.NextInt(vocab.Count)).ToArray();
            calls.Add(new TokenizerCall([], false, false, Flags[i % 4].A, Flags[i % 4].B, ids));
        }

        return calls;
    }

    private static List<string> Compare(ITokenizer tokenizer, List<TokenizerCall> calls, TokenizerCallResult[] expected)
    {
        var failures = new List<string>();
        for (var i = 0; i < calls.Count; i++)
        {
            var call = calls[i];
            var tokens = tokenizer.Tokenize(call.Text, call.AddSpecial, call.ParseSpecial);
            var what = $"{Show(call.Text)} add_special={call.AddSpecial} parse_special={call.ParseSpecial}";
            if (!tokens.SequenceEqual(expected[i].Tokens))
            {
                failures.Add($"{what}: llama.cpp [{string.Join(' ', expected[i].Tokens)}], ours [{string.Join(' ', tokens)}]");
                continue;
            }

            var ids = call.Detokenize ?? tokens;
            var text = tokenizer.DetokenizeToBytes(ids, call.RemoveSpecial, call.UnparseSpecial);
            if (!text.AsSpan().SequenceEqual(expected[i].Text))
            {
                failures.Add($"detokenize [{string.Join(' ', ids)}] remove_special={call.RemoveSpecial} unparse_special={call.UnparseSpecial}: llama.cpp {Convert.ToHexString(expected[i].Text)}, ours {Convert.ToHexString(text)}");
            }
        }

        return failures;
    }

    private static string Show(byte[] text) => LlamaCppAgreementTests.Show(Encoding.UTF8.GetString(text));
}

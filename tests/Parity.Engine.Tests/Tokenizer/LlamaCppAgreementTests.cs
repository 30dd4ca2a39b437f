using System.Diagnostics;
using System.Text;
using Parity.Engine.Tokenizer;

using Parity.Tests.Support;

namespace Parity.Engine.Tests.Tokenizer;

/// <summary>
/// The tokenizer against llama.cpp itself on many strings: every generated string goes through both, with two of
/// the four (add_special, parse_special) combinations per string so that all four are covered across the set.
/// Every disagreement is collected and reported together.
/// </summary>
[TestFixture]
public sealed class LlamaCppAgreementTests
{
    private const int StringCount = 60;
    private const ulong Seed = 0x5EED_70C3;

    private static readonly (bool AddSpecial, bool ParseSpecial)[] Flags = [(true, true), (false, false), (true, false), (false, true)];

    [TestCase("llama-spm")]
    [TestCase("synthetic micro")]
    public async Task Token_ids_agree_with_llama_cpp_on_generated_strings(string vocabulary)
    {
        var model = ModelPath(vocabulary);
        await LlamaCppTokenizer.RequireAsync();
        var tokenizer = SpmTokenizer.Load(model);
        var calls = TokenizerCorpus.Strings(StringCount, Seed)
            .SelectMany((text, i) => new[] { (text, Flags[i % 4]), (text, Flags[(i + 1) % 4]) })
            .ToList();

        var watch = Stopwatch.StartNew();
        var expected = await LlamaCppTokenizer.MapAsync(calls, c => LlamaCppTokenizer.TokenizeAsync(model, c.text, c.Item2.AddSpecial, c.Item2.ParseSpecial));
        TestContext.Out.WriteLine($"{calls.Count} llama.cpp calls in {watch.Elapsed.TotalSeconds:F1} s");

        var failures = new List<string>();
        for (var i = 0; i < calls.Count; i++)
        {
            var (text, (addSpecial, parseSpecial)) = calls[i];
            var actual = tokenizer.Tokenize(text, addSpecial, parseSpecial);
            if (!actual.SequenceEqual(expected[i]))
            {
                failures.Add($"{Show(text)} add_special={addSpecial} parse_special={parseSpecial}: llama.cpp [{string.Join(' ', expected[i])}], ours [{string.Join(' ', actual)}]");
            }
        }

        Assert.That(failures, Is.Empty, $"{failures.Count} of {calls.Count} tokenizations differ from llama.cpp:\n" + string.Join('\n', failures));
    }

    /// <summary>Special-token partitioning, user-defined tokens and the load-time attribute rules, on vocabularies made for them.</summary>
    [TestCase("phi-3 edge")]
    [TestCase("modern-bert edge")]
    public async Task Special_token_handling_agrees_with_llama_cpp(string vocabulary)
    {
        var model = ModelPath(vocabulary);
        await LlamaCppTokenizer.RequireAsync();
        var tokenizer = SpmTokenizer.Load(model);
        string[] texts =
        [
            "<|user|>\nHello there<|end|>\n<|assistant|>\n",
            "<|user|>  hi  <|end|>  \n  <|assistant|>",
            "<|user|>x and <|user|>y",
            "a [MASK] b",
            "a  \t[MASK]\n b [MASK]",
            "<|im_end|> x <|im_end|>",
            "x <|endoftext|>  y",
            "<s> hello </s>  <unk> x",
            " <|end|>",
            "[MASK]",
            "  ",
            string.Empty,
        ];
        var calls = texts.SelectMany(t => Flags.Select(f => (Text: t, Flags: f))).ToList();
        var expected = await LlamaCppTokenizer.MapAsync(calls, c => LlamaCppTokenizer.TokenizeAsync(model, c.Text, c.Flags.AddSpecial, c.Flags.ParseSpecial));

        var failures = new List<string>();
        for (var i = 0; i < calls.Count; i++)
        {
            var (text, (addSpecial, parseSpecial)) = calls[i];
            var actual = tokenizer.Tokenize(text, addSpecial, parseSpecial);
            if (!actual.SequenceEqual(expected[i]))
            {
                failures.Add($"{Show(text)} add_special={addSpecial} parse_special={parseSpecial}: llama.cpp [{string.Join(' ', expected[i])}], ours [{string.Join(' ', actual)}]");
            }
        }

        Assert.That(failures, Is.Empty, $"{failures.Count} of {calls.Count} tokenizations differ from llama.cpp:\n" + string.Join('\n', failures));
    }

    /// <summary>
    /// 100 KB in one fragment: llama.cpp merges with a priority queue (O(n log n)); a quadratic merge loop would take
    /// minutes here. The time is printed, not asserted; the ids must match llama.cpp's.
    /// </summary>
    [Test]
    public async Task A_100_KB_text_tokenizes_quickly_and_like_llama_cpp()
    {
        var model = TokenizerModels.Micro;
        var tokenizer = SpmTokenizer.Load(model);
        var text = TokenizerCorpus.Long(100_000, Seed);
        tokenizer.Tokenize("warm up", addSpecial: true, parseSpecial: true);

        var watch = Stopwatch.StartNew();
        var tokens = tokenizer.Tokenize(text, addSpecial: true, parseSpecial: false);
        watch.Stop();
        TestContext.Out.WriteLine($"{Encoding.UTF8.GetByteCount(text)} bytes -> {tokens.Length} tokens in {watch.Elapsed.TotalMilliseconds:F0} ms");

        Assert.That(tokenizer.Detokenize(tokens, removeSpecial: true, unparseSpecial: false), Is.EqualTo(" " + text), "round trip (BOS removed keeps the prefix space)");
        await LlamaCppTokenizer.RequireAsync();
        var expected = await LlamaCppTokenizer.TokenizeAsync(model, text, addSpecial: true, parseSpecial: false);
        Assert.That(tokens, Is.EqualTo(expected));
    }

    internal static string ModelPath(string vocabulary) => vocabulary switch
    {
        "llama-spm" => SharedFixtures.Require(TokenizerPaths.LlamaSpmVocab),
        "synthetic micro" => TokenizerModels.Micro,
        "phi-3 edge" => TokenizerModels.Phi3,
        "modern-bert edge" => TokenizerModels.ModernBert,
        _ => throw new ArgumentOutOfRangeException(nameof(vocabulary), vocabulary, "unknown test vocabulary"),
    };

    internal static string Show(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal).Replace("\r", "\\r", StringComparison.Ordinal) + "\"";
}

using System.Globalization;
using System.Text;
using Parity.Engine.Tokenizer;

using Parity.Tests.Support;

namespace Parity.Engine.Tests.Tokenizer;

/// <summary>
/// llama.cpp's own SentencePiece test vectors (<c>tests/test-tokenizer-0</c> with <c>ggml-vocab-llama-spm.gguf</c>):
/// each case tokenized with add_special = false, parse_special = false must give exactly the ids in the .out file.
/// </summary>
[TestFixture]
public sealed class LlamaSpmVectorTests
{
    private const string Separator = "\n__ggml_vocab_test__\n";

    private static readonly Lazy<SpmTokenizer> Tokenizer = new(() => SpmTokenizer.Load(SharedFixtures.Require(TokenizerPaths.LlamaSpmVocab)));

    public static IEnumerable<TestCaseData> Vectors()
    {
        if (SharedFixtures.Directory is not { } root || !File.Exists(Path.Combine(root, TokenizerPaths.LlamaSpmVocab + ".inp")))
        {
            // Still one case, so the run reports why the vectors were skipped.
            yield return new TestCaseData(-1, string.Empty, string.Empty).SetName("llama-spm vectors (shared fixtures absent)");
            yield break;
        }

        var vocab = Path.Combine(root, TokenizerPaths.LlamaSpmVocab);
        var inputs = File.ReadAllText(vocab + ".inp", Encoding.UTF8).Split(Separator);
        var outputs = File.ReadAllLines(vocab + ".out");
        for (var i = 0; i < outputs.Length; i++)
        {
            yield return new TestCaseData(i, inputs[i], outputs[i].Trim())
                .SetName(string.Create(CultureInfo.InvariantCulture, $"llama-spm vector {i:D2} {Describe(inputs[i])}"));
        }
    }

    [TestCaseSource(nameof(Vectors))]
    public void Tokenizes_like_llama_cpp(int index, string input, string expected)
    {
        SharedFixtures.Require(TokenizerPaths.LlamaSpmVocab);

        var tokens = Tokenizer.Value.Tokenize(input, addSpecial: false, parseSpecial: false);

        Assert.That(string.Join(' ', tokens), Is.EqualTo(expected), $"case {index}");
    }

    [Test]
    public void The_vector_files_hold_46_cases()
    {
        var path = SharedFixtures.Require(TokenizerPaths.LlamaSpmVocab);
        Assert.That(File.ReadAllLines(path + ".out"), Has.Length.EqualTo(46));
        Assert.That(File.ReadAllText(path + ".inp", Encoding.UTF8).Split(Separator), Has.Length.EqualTo(47), "each case ends with the separator, so the split leaves an empty tail");
    }

    /// <summary>A short, ASCII-only rendering of a case for its test name: escapes for control and non-ASCII characters.</summary>
    private static string Describe(string input)
    {
        var text = new StringBuilder("[");
        foreach (var rune in input.EnumerateRunes())
        {
            if (text.Length > 40)
            {
                text.Append("...");
                break;
            }

            text.Append(rune.Value switch
            {
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                '"' or '\\' => "'",
                >= 0x20 and < 0x7F => ((char)rune.Value).ToString(),
                _ => string.Create(CultureInfo.InvariantCulture, $"U+{rune.Value:X4}"),
            });
        }

        return text.Append(']').ToString();
    }
}

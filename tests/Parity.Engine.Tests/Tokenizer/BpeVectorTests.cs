using System.Globalization;
using System.Text;
using Parity.Engine.Tokenizer;

using Parity.Tests.Support;

namespace Parity.Engine.Tests.Tokenizer;

/// <summary>
/// llama.cpp's own byte-level BPE test vectors (<c>tests/test-tokenizer-0</c>): every case of each vocabulary,
/// tokenized with add_special = false, parse_special = false, must give exactly the ids of its .out file.
/// One test per vocabulary, listing every differing case.
/// </summary>
[TestFixture]
public sealed class BpeVectorTests
{
    private const string Separator = "\n__ggml_vocab_test__\n";

    [TestCase("deepseek-coder")]
    [TestCase("deepseek-llm")]
    [TestCase("gpt-2")]
    [TestCase("starcoder")]
    [TestCase("falcon")]
    [TestCase("mpt")]
    [TestCase("refact")]
    public void Every_vector_tokenizes_like_llama_cpp(string name)
    {
        var vocab = SharedFixtures.Require(TokenizerPaths.Vocab(name));
        var tokenizer = Tokenizers.Load(vocab);
        Assert.That(tokenizer, Is.TypeOf<BpeTokenizer>());
        var inputs = File.ReadAllText(vocab + ".inp", Encoding.UTF8).Split(Separator);
        var outputs = File.ReadAllLines(vocab + ".out");
        Assert.That(inputs, Has.Length.EqualTo(outputs.Length + 1), "each case ends with the separator, so the split leaves an empty tail");

        var failures = new List<string>();
        for (var i = 0; i < outputs.Length; i++)
        {
            var actual = string.Join(' ', tokenizer.Tokenize(inputs[i], addSpecial: false, parseSpecial: false));
            if (actual != outputs[i].Trim())
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"case {i} {LlamaCppAgreementTests.Show(inputs[i])}: llama.cpp [{outputs[i].Trim()}], ours [{actual}]"));
            }
        }

        TestContext.Out.WriteLine($"{name}: {outputs.Length - failures.Count} of {outputs.Length} cases agree");
        Assert.That(failures, Is.Empty, $"{failures.Count} of {outputs.Length} {name} vectors differ:\n" + string.Join('\n', failures));
    }
}

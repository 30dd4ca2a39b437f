using System.Text;
using Parity.Engine.Tokenizer;

namespace Parity.Engine.Tests.Tokenizer;

/// <summary>The tokenizer's rules on the synthetic vocabulary, spelled out with known ids (no llama.cpp needed).</summary>
[TestFixture]
public sealed class SpmTokenizerTests
{
    private static readonly Lazy<SpmTokenizer> Micro = new(() => SpmTokenizer.Load(TokenizerModels.Micro));

    private static SpmTokenizer Tokenizer => Micro.Value;

    private static int Id(string text) => Tokenizer.Vocabulary.TokenToId(text) is var id and not Vocabulary.NoToken ? id : throw new ArgumentException($"'{text}' is not in the synthetic vocabulary");

    [Test]
    public void The_empty_text_is_just_bos_with_special_tokens_and_nothing_without()
    {
        Assert.That(Tokenizer.Tokenize(string.Empty, addSpecial: true, parseSpecial: true), Is.EqualTo(new[] { 1 }));
        Assert.That(Tokenizer.Tokenize(string.Empty, addSpecial: false, parseSpecial: true), Is.Empty);
    }

    [Test]
    public void Text_gets_a_space_prefix_and_spaces_become_the_marker()
    {
        Assert.That(Tokenizer.Tokenize("that with", addSpecial: true, parseSpecial: false), Is.EqualTo(new[] { 1, Id("\u2581that"), Id("\u2581with") }));
    }

    [Test]
    public void Special_texts_are_tokens_only_with_parse_special_and_the_next_text_gets_a_space_prefix_again()
    {
        Assert.That(Tokenizer.Tokenize("a</s>b", addSpecial: false, parseSpecial: true), Is.EqualTo(new[] { Id("\u2581a"), 2, Id("\u2581b") }));
        Assert.That(Tokenizer.Tokenize("<s>", addSpecial: false, parseSpecial: true), Is.EqualTo(new[] { 1 }));
        Assert.That(Tokenizer.Tokenize("<s>", addSpecial: false, parseSpecial: false), Does.Not.Contain(1));
    }

    [Test]
    public void Characters_outside_the_vocabulary_fall_back_to_their_utf8_bytes()
    {
        var vocab = Tokenizer.Vocabulary;
        var bytes = Encoding.UTF8.GetBytes("\U0001F999");

        var tokens = Tokenizer.Tokenize("\U0001F999", addSpecial: false, parseSpecial: false);

        Assert.That(tokens, Is.EqualTo(new[] { Id("\u2581") }.Concat(bytes.Select(vocab.ByteToToken))));
    }

    [Test]
    public void Raw_bytes_that_are_not_utf8_are_split_as_llama_cpp_splits_them_and_fall_back_to_bytes()
    {
        var vocab = Tokenizer.Vocabulary;

        // 0xE4 announces three bytes but the text ends after two: one two-byte symbol, which is no token.
        var tokens = Tokenizer.Tokenize(new byte[] { 0xE4, 0xB8 }, addSpecial: false, parseSpecial: false);

        Assert.That(tokens, Is.EqualTo(new[] { Id("\u2581"), vocab.ByteToToken(0xE4), vocab.ByteToToken(0xB8) }));
    }

    [Test]
    public void Pieces_render_the_marker_as_a_space_bytes_raw_and_control_tokens_only_when_asked()
    {
        Assert.That(Tokenizer.TokenToPiece(Id("\u2581that"), special: false), Is.EqualTo(" that"u8.ToArray()));
        Assert.That(Tokenizer.TokenToPiece(Id("\u2581that"), special: false, lstrip: 1), Is.EqualTo("that"u8.ToArray()));
        Assert.That(Tokenizer.TokenToPiece(Tokenizer.Vocabulary.ByteToToken(0xF0), special: false), Is.EqualTo(new byte[] { 0xF0 }));
        Assert.That(Tokenizer.TokenToPiece(1, special: false), Is.Empty);
        Assert.That(Tokenizer.TokenToPiece(1, special: true), Is.EqualTo("<s>"u8.ToArray()));
        Assert.That(Tokenizer.TokenToPiece(0, special: true), Is.EqualTo("<unk>"u8.ToArray()));
    }

    [Test]
    public void Detokenize_drops_the_first_space_only_when_the_first_token_is_text()
    {
        int[] words = [Id("\u2581that"), Id("\u2581with")];

        Assert.That(Tokenizer.Detokenize(words, removeSpecial: false, unparseSpecial: false), Is.EqualTo("that with"));
        Assert.That(Tokenizer.Detokenize([1, .. words], removeSpecial: true, unparseSpecial: false), Is.EqualTo(" that with"));
        Assert.That(Tokenizer.Detokenize([1, .. words, 2], removeSpecial: false, unparseSpecial: true), Is.EqualTo("<s> that with</s>"));
        Assert.That(Tokenizer.Detokenize([1, .. words, 2], removeSpecial: true, unparseSpecial: true), Is.EqualTo(" that with</s>"), "EOS is removed only when the vocabulary adds it");
    }

    [Test]
    public void Token_ids_outside_the_vocabulary_are_refused()
    {
        Assert.That(() => Tokenizer.TokenToPiece(Tokenizer.Vocabulary.Count, special: true), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => Tokenizer.Detokenize([-1], removeSpecial: false, unparseSpecial: false), Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}

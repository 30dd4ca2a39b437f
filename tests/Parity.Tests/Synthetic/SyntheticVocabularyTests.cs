using Parity.Harness.Synthetic;

namespace Parity.Tests.Synthetic;

[TestFixture]
public sealed class SyntheticVocabularyTests
{
    [TestCase(512)]
    [TestCase(2048)]
    [TestCase(32000)]
    public void It_has_exactly_the_requested_size_with_unique_tokens(int size)
    {
        var v = SyntheticVocabulary.Build(size);
        Assert.That(v.Count, Is.EqualTo(size));
        Assert.That(v.Tokens.Distinct().Count(), Is.EqualTo(size));
        Assert.That(v.Scores, Has.Count.EqualTo(size));
        Assert.That(v.TokenTypes, Has.Count.EqualTo(size));
    }

    [Test]
    public void Specials_and_byte_tokens_sit_where_llama_cpp_expects_them()
    {
        var v = SyntheticVocabulary.Build(2048);
        Assert.Multiple(() =>
        {
            Assert.That(v.Tokens.Take(3), Is.EqualTo(new[] { "<unk>", "<s>", "</s>" }));
            Assert.That(v.TokenTypes.Take(3), Is.EqualTo(new[] { SyntheticVocabulary.TypeUnknown, SyntheticVocabulary.TypeControl, SyntheticVocabulary.TypeControl }));
            Assert.That(v.Tokens[3], Is.EqualTo("<0x00>"));
            Assert.That(v.Tokens[3 + 0x41], Is.EqualTo("<0x41>"));
            Assert.That(v.Tokens[258], Is.EqualTo("<0xFF>"));
            Assert.That(v.TokenTypes.Skip(3).Take(256), Is.All.EqualTo(SyntheticVocabulary.TypeByte));
            Assert.That(v.TokenTypes.Skip(259), Is.All.EqualTo(SyntheticVocabulary.TypeNormal));
        });
    }

    [Test]
    public void Greeting_words_and_all_their_prefixes_are_pieces_with_scores_falling_in_order()
    {
        var v = SyntheticVocabulary.Build(2048);
        var tokens = v.Tokens.ToList();
        foreach (var piece in new[] { "\u2581Hello", "\u2581how", "\u2581are", "\u2581you", "\u2581Once", "\u2581upon", "\u2581time" })
        {
            for (var len = 2; len <= piece.Length; len++)
            {
                Assert.That(tokens, Does.Contain(piece[..len]), $"prefix '{piece[..len]}' lets the merges reach '{piece}'");
            }
        }

        var pieceScores = v.Scores.Skip(259).ToArray();
        Assert.That(pieceScores, Is.Ordered.Descending);
        Assert.That(tokens.IndexOf("\u2581He"), Is.LessThan(tokens.IndexOf("\u2581Hello")), "shorter prefixes score higher and merge first");
    }

    [Test]
    public void Too_small_a_vocabulary_is_refused()
    {
        Assert.That(() => SyntheticVocabulary.Build(300), Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}

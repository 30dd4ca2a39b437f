using Parity.Engine.Tokenizer;
using Parity.Gguf;
using Parity.Harness.Synthetic;

using Parity.Tests.Support;

namespace Parity.Engine.Tests.Tokenizer;

/// <summary>Reading vocabularies: defaults, attributes, the load-time rules, and clear refusals.</summary>
[TestFixture]
public sealed class VocabularyTests
{
    [Test]
    public void The_synthetic_vocabulary_reads_with_sentencepiece_defaults()
    {
        var vocab = Vocabulary.Load(TokenizerModels.Micro);

        Assert.That(vocab.Count, Is.EqualTo(SyntheticPresets.Micro.VocabSize));
        Assert.That((vocab.BosId, vocab.EosId, vocab.UnknownId, vocab.PaddingId), Is.EqualTo((1, 2, 0, Vocabulary.NoToken)));
        Assert.That((vocab.AddBos, vocab.AddEos, vocab.AddSpacePrefix), Is.EqualTo((true, false, true)));
        Assert.That(vocab.Attributes[1], Is.EqualTo(TokenAttributes.Control));
        Assert.That(vocab.Attributes[0], Is.EqualTo(TokenAttributes.Unknown));
        Assert.That(vocab.Attributes[3 + 0x41], Is.EqualTo(TokenAttributes.Byte));
        Assert.That(vocab.ByteToToken(0x41), Is.EqualTo(3 + 0x41), "<0x41> follows the three specials");
        Assert.That(vocab.TokenToId("\u2581that"), Is.Not.EqualTo(Vocabulary.NoToken));
        Assert.That(vocab.SpecialTokens, Is.EqualTo(new[] { 0, 2, 1 }), "<unk> (5 bytes), </s> (4), <s> (3): longest first");
        Assert.That(vocab.EndOfGenerationIds, Is.EquivalentTo(new[] { 2 }));
    }

    [Test]
    public void The_llama_spm_fixture_reads_with_its_32000_tokens()
    {
        var vocab = Vocabulary.Load(SharedFixtures.Require(TokenizerPaths.LlamaSpmVocab));

        Assert.That(vocab.Count, Is.EqualTo(32000));
        Assert.That(vocab.Tokens[29871], Is.EqualTo("\u2581"));
        Assert.That(vocab.ByteToToken((byte)'\n'), Is.EqualTo(13));
    }

    [Test]
    public void Control_looking_texts_become_control_tokens_and_phi3_specials_get_rstrip()
    {
        var vocab = Vocabulary.Load(TokenizerModels.Phi3);
        TokenAttributes Attr(string text) => vocab.Attributes[vocab.TokenToId(text)];

        Assert.That(Attr("<|im_end|>"), Is.EqualTo(TokenAttributes.Normal | TokenAttributes.Control | TokenAttributes.RStrip), "typed normal in the file; llama.cpp adds control");
        Assert.That(Attr("<|user|>"), Is.EqualTo(TokenAttributes.UserDefined | TokenAttributes.RStrip));
        Assert.That(Attr("</s>"), Is.EqualTo(TokenAttributes.Control | TokenAttributes.RStrip));
        Assert.That(Attr("<s>"), Is.EqualTo(TokenAttributes.Control), "Phi-3's rule takes rstrip off <s>, <unk> and <|endoftext|>");
        Assert.That(Attr("<|endoftext|>"), Is.EqualTo(TokenAttributes.Control));
        Assert.That(vocab.GetSpecialId(SpecialToken.Eot), Is.EqualTo(vocab.TokenToId("<|end|>")), "the lowest-id EOT-looking text");
        Assert.That(vocab.EndOfGenerationIds, Is.SupersetOf(new[] { 2, vocab.TokenToId("<|end|>"), vocab.TokenToId("<|im_end|>") }));
    }

    [Test]
    public void A_modern_bert_name_gives_mask_lstrip_and_the_file_flags_override_the_defaults()
    {
        var vocab = Vocabulary.Load(TokenizerModels.ModernBert);

        Assert.That(vocab.Attributes[vocab.TokenToId("[MASK]")], Is.EqualTo(TokenAttributes.UserDefined | TokenAttributes.LStrip));
        Assert.That((vocab.AddBos, vocab.AddEos, vocab.AddSpacePrefix), Is.EqualTo((true, true, false)));
    }

    [TestCase("bert", "WordPiece")]
    [TestCase("t5", "Unigram")]
    [TestCase("rwkv", "RWKV")]
    [TestCase("sentencepiece", "not a tokenizer llama.cpp knows")]
    public void Other_tokenizer_models_are_refused_naming_the_file_and_the_model(string model, string description)
    {
        using var temp = new TempDirectory();
        var path = temp.File(model + ".gguf");
        new GgufWriter()
            .Add(GgufKeys.Architecture, GgufValue.Of("llama"))
            .Add(GgufKeys.TokenizerModel, GgufValue.Of(model))
            .Add(GgufKeys.Tokens, GgufValue.Array(["a", "b"]))
            .WriteTo(path);

        var e = Assert.Throws<VocabularyException>(() => Tokenizers.Load(path));

        Assert.That(e!.Message, Is.EqualTo($"{path}: tokenizer.ggml.model is '{model}' ({description}); the engine implements: llama (SentencePiece), gpt2 (byte-level BPE)"));
        Assert.That(e.FilePath, Is.EqualTo(path));
    }

    [Test]
    public void The_bert_fixture_is_refused_as_wordpiece()
    {
        var path = SharedFixtures.Require(TokenizerPaths.Vocab("bert-bge"));

        var e = Assert.Throws<VocabularyException>(() => Tokenizers.Load(path));

        Assert.That(e!.Message, Is.EqualTo($"{path}: tokenizer.ggml.model is 'bert' (WordPiece); the engine implements: llama (SentencePiece), gpt2 (byte-level BPE)"));
    }

    [Test]
    public void The_deepseek_fixture_is_bpe_and_the_sentencepiece_tokenizer_refuses_it()
    {
        var path = SharedFixtures.Require(TokenizerPaths.Vocab("deepseek-coder"));

        Assert.That(Tokenizers.Load(path), Is.TypeOf<BpeTokenizer>());
        var e = Assert.Throws<VocabularyException>(() => SpmTokenizer.Load(path));
        Assert.That(e!.Message, Does.StartWith(path).And.Contain("'gpt2' (byte-level BPE), not SentencePiece"));
    }

    [Test]
    public void A_vocabulary_key_of_the_wrong_type_is_refused_as_llama_cpp_refuses_it()
    {
        using var temp = new TempDirectory();
        var path = temp.File("bad-bos.gguf");
        new GgufWriter()
            .Add(GgufKeys.TokenizerModel, GgufValue.Of("llama"))
            .Add(GgufKeys.Tokens, GgufValue.Array(["<unk>", "<s>", "</s>"]))
            .Add(GgufKeys.BosTokenId, GgufValue.Of(1))
            .WriteTo(path);

        var e = Assert.Throws<VocabularyException>(() => Vocabulary.Load(path));

        Assert.That(e!.Message, Does.Contain("tokenizer.ggml.bos_token_id is Int32, but llama.cpp requires a u32"));
    }

    [Test]
    public void Empty_tokens_are_renamed_and_a_missing_token_list_is_named()
    {
        using var temp = new TempDirectory();
        var renamed = temp.File("empty.gguf");
        new GgufWriter()
            .Add(GgufKeys.TokenizerModel, GgufValue.Of("llama"))
            .Add(GgufKeys.Tokens, GgufValue.Array(["<unk>", "<s>", "</s>", string.Empty]))
            .WriteTo(renamed);
        var missing = temp.File("missing.gguf");
        new GgufWriter().Add(GgufKeys.TokenizerModel, GgufValue.Of("llama")).WriteTo(missing);

        Assert.That(Vocabulary.Load(renamed).Tokens[3], Is.EqualTo("[EMPTY_3]"));
        Assert.That(() => Vocabulary.Load(missing), Throws.TypeOf<VocabularyException>().With.Message.Contains("tokenizer.ggml.tokens is missing"));
    }
}

using Parity.Engine.Tokenizer;

namespace Parity.Engine.Tests.Tokenizer;

/// <summary>
/// Ids back to text, against llama.cpp's <c>llama_detokenize</c> and <c>llama_token_to_piece</c>: the leading space
/// of the first piece, BOS/EOS removal, special tokens shown only when unparsed, byte tokens as raw bytes.
/// </summary>
[TestFixture]
public sealed class DetokenizeTests
{
    private static readonly (bool RemoveSpecial, bool UnparseSpecial)[] Flags = [(false, false), (true, false), (false, true), (true, true)];

    [TestCase("synthetic micro")]
    [TestCase("llama-spm")]
    [TestCase("modern-bert edge")]
    public async Task Text_and_pieces_agree_with_llama_cpp(string vocabulary)
    {
        var model = LlamaCppAgreementTests.ModelPath(vocabulary);
        await LlamaCppTokenizer.RequireAsync();
        var tokenizer = SpmTokenizer.Load(model);
        var vocab = tokenizer.Vocabulary;

        // Ids from tokenizing the corpus with specials parsed, plus sequences that tokenizing never produces:
        // BOS/EOS in odd places, <unk>, a lone byte of a multi-byte character, a byte token first.
        var sequences = TokenizerCorpus.Strings(24, 0xDE70C)
            .Select(t => tokenizer.Tokenize(t, addSpecial: true, parseSpecial: true))
            .Where(ids => ids.Length > 0)
            .ToList();
        var spaceWord = tokenizer.Tokenize("hello", addSpecial: false, parseSpecial: false);
        sequences.AddRange(
        [
            [vocab.BosId, vocab.BosId, .. spaceWord],
            [.. spaceWord, vocab.EosId],
            [vocab.BosId, .. spaceWord, vocab.EosId, vocab.EosId],
            [vocab.EosId, .. spaceWord, vocab.BosId],
            [vocab.UnknownId, .. spaceWord],
            [vocab.ByteToToken(0xE4), vocab.ByteToToken(0xB8)],
            [vocab.ByteToToken((byte)' '), .. spaceWord],
            [vocab.BosId],
        ]);

        var calls = sequences.SelectMany((ids, i) => new[] { (Ids: ids, Flags: Flags[i % 4]), (Ids: ids, Flags: Flags[(i + 1) % 4]) }).ToList();
        var expected = await LlamaCppTokenizer.MapAsync(calls, c => LlamaCppTokenizer.DetokenizeAsync(model, c.Ids, c.Flags.RemoveSpecial, c.Flags.UnparseSpecial));

        var failures = new List<string>();
        for (var i = 0; i < calls.Count; i++)
        {
            var (ids, (removeSpecial, unparseSpecial)) = calls[i];
            var text = tokenizer.Detokenize(ids, removeSpecial, unparseSpecial);
            var pieces = ids.Select(id => tokenizer.TokenToPiece(id, unparseSpecial)).ToArray();
            var label = $"[{string.Join(' ', ids)}] remove_special={removeSpecial} unparse_special={unparseSpecial}";
            if (text != expected[i].Text)
            {
                failures.Add($"{label}: llama.cpp {LlamaCppAgreementTests.Show(expected[i].Text)}, ours {LlamaCppAgreementTests.Show(text)}");
            }

            for (var k = 0; k < ids.Length; k++)
            {
                if (!pieces[k].AsSpan().SequenceEqual(expected[i].Pieces[k]))
                {
                    failures.Add($"{label}: piece of {ids[k]}: llama.cpp {Convert.ToHexString(expected[i].Pieces[k])}, ours {Convert.ToHexString(pieces[k])}");
                }
            }
        }

        Assert.That(failures, Is.Empty, $"{failures.Count} differences from llama.cpp:\n" + string.Join('\n', failures));
    }

    [Test]
    public void Text_round_trips_through_ids_with_the_prefix_space_removed_only_without_bos()
    {
        var tokenizer = SpmTokenizer.Load(TokenizerModels.Micro);
        foreach (var text in TokenizerCorpus.Strings(60, 0x5EED_70C3))
        {
            // A literal ▁ in the text is indistinguishable from an escaped space once tokenized: it comes back as a space.
            var expected = text.Replace("\u2581", " ", StringComparison.Ordinal);
            var plain = tokenizer.Tokenize(text, addSpecial: false, parseSpecial: false);
            Assert.That(tokenizer.Detokenize(plain, removeSpecial: false, unparseSpecial: false), Is.EqualTo(expected), LlamaCppAgreementTests.Show(text));

            // With BOS in front the first piece keeps its space, whether BOS is removed or rendered.
            var withBos = tokenizer.Tokenize(text, addSpecial: true, parseSpecial: false);
            Assert.That(tokenizer.Detokenize(withBos, removeSpecial: true, unparseSpecial: false), Is.EqualTo(text.Length == 0 ? string.Empty : " " + expected), LlamaCppAgreementTests.Show(text));
            Assert.That(tokenizer.Detokenize(withBos, removeSpecial: false, unparseSpecial: true), Is.EqualTo(text.Length == 0 ? "<s>" : "<s> " + expected), LlamaCppAgreementTests.Show(text));
        }
    }
}

using System.Globalization;
using System.Text;

namespace Parity.Harness.Synthetic;

/// <summary>
/// A byte-level BPE vocabulary (<c>tokenizer.ggml.model = gpt2</c>, <c>pre = llama-bpe</c>) in Llama 3's layout: the
/// 256 byte symbols under GPT-2's byte-to-unicode mapping, merged tokens with their merge rules, then the special
/// tokens (<c>&lt;|begin_of_text|&gt;</c>, the chat headers, <c>&lt;|eot_id|&gt;</c>, reserved ones) as control
/// tokens. Merges are learned from a fixed English word list (frequent pairs first, so "Hello" and "Once upon a time"
/// become a few tokens), then filled prefix-closed over letters, so every merge's halves are tokens and llama.cpp
/// accepts the table.
/// </summary>
public sealed class SyntheticBpeVocabulary
{
    public const string PreTokenizer = "llama-bpe";

    /// <summary>Llama 3's named special tokens, in its id order; reserved ones follow.</summary>
    public static readonly string[] NamedSpecials =
    [
        "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
        "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>",
        "<|eom_id|>", "<|eot_id|>", "<|python_tag|>",
    ];

    private const string Letters = "abcdefghijklmnopqrstuvwxyz";
    private static readonly string[] ByteSymbols = BuildByteSymbols();

    private SyntheticBpeVocabulary(string[] tokens, int[] types, string[] merges, int firstSpecial)
    {
        Tokens = tokens;
        TokenTypes = types;
        Merges = merges;
        FirstSpecial = firstSpecial;
    }

    public IReadOnlyList<string> Tokens { get; }

    public IReadOnlyList<int> TokenTypes { get; }

    /// <summary>Merge rules, "left right" in mapped symbols, highest priority first.</summary>
    public IReadOnlyList<string> Merges { get; }

    public int FirstSpecial { get; }

    public int BosId => FirstSpecial;

    /// <summary><c>&lt;|eot_id|&gt;</c>: the end of an instruct turn, as Llama 3 instruct files set it.</summary>
    public int EosId => FirstSpecial + 9;

    /// <summary>A vocabulary of <paramref name="size"/> tokens, the last <paramref name="specials"/> of them special.</summary>
    public static SyntheticBpeVocabulary Build(int size, int specials)
    {
        if (specials < NamedSpecials.Length || size < 256 + specials + 64)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"a synthetic BPE vocabulary needs at least {NamedSpecials.Length} specials and 64 merged tokens besides the 256 bytes");
        }

        var tokens = new List<string>(ByteSymbols);
        var known = new HashSet<string>(tokens, StringComparer.Ordinal);
        var merges = new List<string>();
        var regular = size - specials;
        void Merge(string left, string right)
        {
            if (tokens.Count < regular && known.Add(left + right))
            {
                tokens.Add(left + right);
                merges.Add(left + " " + right);
            }
        }

        foreach (var (left, right) in LearnedMerges())
        {
            Merge(left, right);
        }

        FillPrefixClosed(tokens, Merge, regular);
        var types = Enumerable.Repeat(SyntheticVocabulary.TypeNormal, tokens.Count).ToList();
        for (var i = 0; i < specials; i++)
        {
            tokens.Add(i < NamedSpecials.Length ? NamedSpecials[i] : string.Create(CultureInfo.InvariantCulture, $"<|reserved_special_token_{i - NamedSpecials.Length + 3}|>"));
            types.Add(SyntheticVocabulary.TypeControl);
        }

        return new SyntheticBpeVocabulary([.. tokens], [.. types], [.. merges], regular);
    }

    /// <summary>GPT-2's mapped symbol for one byte: printable Latin-1 bytes stand for themselves, the rest move to U+0100 up.</summary>
    public static string Symbol(byte b) => ByteSymbols[b];

    /// <summary>Text in mapped symbols (a space becomes Ġ, a newline Ċ).</summary>
    public static string Map(string text) => string.Concat(Encoding.UTF8.GetBytes(text).Select(b => ByteSymbols[b]));

    private static string[] BuildByteSymbols()
    {
        var symbols = new string[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            symbols[b] = ((char)(printable ? b : next++)).ToString();
        }

        return symbols;
    }

    /// <summary>
    /// BPE training on the word list (each word with and without a leading space, capitalized too; earlier words
    /// weigh more): the most frequent adjacent pair merges first, ties in ordinal order, until no pair repeats.
    /// </summary>
    private static IEnumerable<(string Left, string Right)> LearnedMerges()
    {
        var words = SyntheticVocabulary.CorpusWords
            .SelectMany((w, i) => new[] { (" " + w, 3 * (400 - i)), (" " + char.ToUpperInvariant(w[0]) + w[1..], 400 - i), (w, 400 - i) })
            .Select(p => (Symbols: Encoding.UTF8.GetBytes(p.Item1).Select(b => ByteSymbols[b]).ToList(), Weight: Math.Max(1, p.Item2)))
            .ToList();
        while (true)
        {
            var counts = new Dictionary<(string, string), int>();
            foreach (var (symbols, weight) in words)
            {
                for (var i = 0; i + 1 < symbols.Count; i++)
                {
                    counts[(symbols[i], symbols[i + 1])] = counts.GetValueOrDefault((symbols[i], symbols[i + 1])) + weight;
                }
            }

            if (counts.Count == 0)
            {
                yield break;
            }

            var best = counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key.Item1, StringComparer.Ordinal).ThenBy(c => c.Key.Item2, StringComparer.Ordinal).First().Key;
            foreach (var (symbols, _) in words)
            {
                for (var i = 0; i + 1 < symbols.Count; i++)
                {
                    if (symbols[i] == best.Item1 && symbols[i + 1] == best.Item2)
                    {
                        symbols[i] += symbols[i + 1];
                        symbols.RemoveAt(i + 1);
                    }
                }
            }

            yield return best;
        }
    }

    /// <summary>Fills the vocabulary breadth-first: every token so far (in order) extended by one letter.</summary>
    private static void FillPrefixClosed(List<string> tokens, Action<string, string> merge, int regular)
    {
        string[] letters = [.. Letters.Select(c => c.ToString())];
        for (var i = 0; tokens.Count < regular && i < tokens.Count; i++)
        {
            var stem = tokens[i];
            if (stem.Length < 1 || !char.IsAsciiLetter(stem[^1]))
            {
                continue;
            }

            foreach (var letter in letters)
            {
                merge(stem, letter);
            }
        }
    }
}

using System.Globalization;
using System.Text;

namespace Parity.Harness.Synthetic;

/// <summary>
/// How a family lays out its byte-level BPE vocabulary: the pre-tokenizer, the special tokens after the regular ones
/// (named ones first, then reserved ones up to the count asked), which of them are BOS and EOS, whether BOS is added,
/// and the chat template its instruct files carry.
/// </summary>
public sealed record BpeVocabularyStyle(
    string PreTokenizer,
    IReadOnlyList<string> NamedSpecials,
    Func<int, string> ReservedSpecial,
    int BosSpecial,
    int EosSpecial,
    bool AddBos,
    string ChatTemplate)
{
    /// <summary>Llama 3: <c>pre = llama-bpe</c>, <c>&lt;|begin_of_text|&gt;</c> added, EOS <c>&lt;|eot_id|&gt;</c> as instruct files set it.</summary>
    public static BpeVocabularyStyle Llama3 { get; } = new(
        "llama-bpe",
        [
            "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
            "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>",
            "<|eom_id|>", "<|eot_id|>", "<|python_tag|>",
        ],
        i => string.Create(CultureInfo.InvariantCulture, $"<|reserved_special_token_{i + 3}|>"),
        BosSpecial: 0,
        EosSpecial: 9,
        AddBos: true,
        SyntheticModel.Llama3ChatTemplate);

    /// <summary>
    /// Qwen2 and Qwen2.5: <c>pre = qwen2</c>, no BOS added (the BOS id is <c>&lt;|endoftext|&gt;</c>), EOS
    /// <c>&lt;|im_end|&gt;</c> as instruct files set it, ChatML.
    /// </summary>
    public static BpeVocabularyStyle Qwen2 { get; } = new(
        "qwen2",
        [
            "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>",
            "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
            "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>",
            "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
        ],
        i => string.Create(CultureInfo.InvariantCulture, $"<|extra_{i}|>"),
        BosSpecial: 0,
        EosSpecial: 2,
        AddBos: false,
        SyntheticModel.ChatMlTemplate);
}

/// <summary>
/// A byte-level BPE vocabulary (<c>tokenizer.ggml.model = gpt2</c>) in a family's layout
/// (<see cref="BpeVocabularyStyle"/>): the 256 byte symbols under GPT-2's byte-to-unicode mapping, merged tokens with
/// their merge rules, then the family's special tokens as control tokens. Merges are learned from a fixed English word
/// list (frequent pairs first, so "Hello" and "Once upon a time" become a few tokens), then filled prefix-closed over
/// letters, so every merge's halves are tokens and llama.cpp accepts the table.
/// </summary>
public sealed class SyntheticBpeVocabulary
{
    private const string Letters = "abcdefghijklmnopqrstuvwxyz";
    private static readonly string[] ByteSymbols = BuildByteSymbols();

    private SyntheticBpeVocabulary(BpeVocabularyStyle style, string[] tokens, int[] types, string[] merges, int firstSpecial)
    {
        Style = style;
        Tokens = tokens;
        TokenTypes = types;
        Merges = merges;
        FirstSpecial = firstSpecial;
    }

    public BpeVocabularyStyle Style { get; }

    public IReadOnlyList<string> Tokens { get; }

    public IReadOnlyList<int> TokenTypes { get; }

    /// <summary>Merge rules, "left right" in mapped symbols, highest priority first.</summary>
    public IReadOnlyList<string> Merges { get; }

    public int FirstSpecial { get; }

    public int BosId => FirstSpecial + Style.BosSpecial;

    /// <summary>The end of an instruct turn, as the family's instruct files set EOS.</summary>
    public int EosId => FirstSpecial + Style.EosSpecial;

    /// <summary>A vocabulary of <paramref name="size"/> tokens, the last <paramref name="specials"/> of them special.</summary>
    public static SyntheticBpeVocabulary Build(BpeVocabularyStyle style, int size, int specials)
    {
        ArgumentNullException.ThrowIfNull(style);
        var named = style.NamedSpecials.Count;
        if (specials < named || size < 256 + specials + 64)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"a synthetic {style.PreTokenizer} vocabulary needs at least {named} specials and 64 merged tokens besides the 256 bytes");
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
            tokens.Add(i < named ? style.NamedSpecials[i] : style.ReservedSpecial(i - named));
            types.Add(SyntheticVocabulary.TypeControl);
        }

        return new SyntheticBpeVocabulary(style, [.. tokens], [.. types], [.. merges], regular);
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

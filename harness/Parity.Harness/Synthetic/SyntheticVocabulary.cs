using System.Globalization;

namespace Parity.Harness.Synthetic;

/// <summary>
/// A SentencePiece-style vocabulary (<c>tokenizer.ggml.model = llama</c>) built from a fixed English word list:
/// <c>&lt;unk&gt;</c>, <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>, the 256 byte tokens, then word pieces with scores.
/// Every word comes with all its prefixes (higher scores first), so llama.cpp's merge-by-score tokenizer can always
/// build it, and text outside the list falls back to single characters or bytes as in a real SPM vocabulary.
/// </summary>
public sealed class SyntheticVocabulary
{
    public const int UnknownId = 0;
    public const int BosId = 1;
    public const int EosId = 2;

    /// <summary>Gemma's special token ids: <c>&lt;pad&gt;</c> 0, <c>&lt;eos&gt;</c> 1, <c>&lt;bos&gt;</c> 2, <c>&lt;unk&gt;</c> 3.</summary>
    public const int GemmaPadId = 0;
    public const int GemmaEosId = 1;
    public const int GemmaBosId = 2;
    public const int GemmaUnknownId = 3;

    /// <summary>SentencePiece's word-boundary marker (U+2581), which stands for a space.</summary>
    public const string SpaceMarker = "\u2581";

    /// <summary>llama.cpp's <c>llama_token_type</c> values.</summary>
    public const int TypeNormal = 1;
    public const int TypeUnknown = 2;
    public const int TypeControl = 3;
    public const int TypeByte = 6;

    private const string Letters = "abcdefghijklmnopqrstuvwxyz";
    private const string Punctuation = ".,!?'\"-:;()<>|/\n";

    // Frequent English words, words from children's stories and chat words: "Hello, how are you?" and
    // "Once upon a time" tokenize into several word pieces, and rarer words split into sub-pieces.
    private static readonly string[] Words =
    [
        "the", "of", "and", "to", "a", "in", "is", "you", "that", "it", "he", "was", "for", "on", "are", "as", "with",
        "his", "they", "I", "at", "be", "this", "have", "from", "or", "one", "had", "by", "word", "but", "not", "what",
        "all", "were", "we", "when", "your", "can", "said", "there", "use", "an", "each", "which", "she", "do", "how",
        "their", "if", "will", "up", "other", "about", "out", "many", "then", "them", "these", "so", "some", "her",
        "would", "make", "like", "him", "into", "time", "has", "look", "two", "more", "write", "go", "see", "number",
        "no", "way", "could", "people", "my", "than", "first", "water", "been", "call", "who", "its", "now", "find",
        "long", "down", "day", "did", "get", "come", "made", "may", "part", "hello", "world", "once", "upon", "story",
        "little", "girl", "boy", "cat", "dog", "happy", "sad", "big", "small", "friend", "friends", "play", "played",
        "park", "ball", "tree", "house", "mom", "dad", "sun", "sky", "blue", "red", "green", "went", "saw", "very",
        "loved", "love", "wanted", "want", "named", "name", "toy", "fun", "together", "help", "helped", "good", "bad",
        "think", "know", "thank", "thanks", "please", "yes", "okay", "today", "tomorrow", "question", "answer",
        "user", "assistant", "system", "model", "language", "learn", "computer", "number", "data", "test", "parity",
        "layer", "token", "tokens", "weight", "value", "table", "where", "why", "because", "after", "before", "again",
        "every", "thing", "things", "old", "new", "great", "right", "left", "home", "school", "night", "morning",
        "bird", "fish", "flower", "garden", "car", "book", "read", "run", "ran", "jump", "jumped", "smile", "smiled",
        "looked", "found", "took", "gave", "asked", "felt", "could", "should", "must", "just", "also", "well", "only",
        "here", "over", "back", "under", "through", "while", "still", "never", "always", "something", "nothing",
        "everyone", "everything", "inside", "outside", "around", "away", "lived", "small", "tiny", "huge", "strong",
    ];

    /// <summary>The word list, most frequent first (also the corpus the BPE vocabulary learns its merges from).</summary>
    public static IReadOnlyList<string> CorpusWords => Words;

    private SyntheticVocabulary(string[] tokens, float[] scores, int[] types)
    {
        Tokens = tokens;
        Scores = scores;
        TokenTypes = types;
    }

    /// <summary>Specials, byte tokens, the space marker, single characters and space-prefixed letters.</summary>
    public static int MinimumSize => 3 + 256 + 1 + Letters.Length * 4 + 10 + Punctuation.Length;

    public IReadOnlyList<string> Tokens { get; }

    public IReadOnlyList<float> Scores { get; }

    public IReadOnlyList<int> TokenTypes { get; }

    public int Count => Tokens.Count;

    /// <summary>Builds a vocabulary of exactly <paramref name="size"/> tokens (at least 259 + the single characters).</summary>
    public static SyntheticVocabulary Build(int size) => Build(size, [("<unk>", TypeUnknown), ("<s>", TypeControl), ("</s>", TypeControl)]);

    /// <summary>
    /// Gemma's layout: <c>&lt;pad&gt;</c>, <c>&lt;eos&gt;</c>, <c>&lt;bos&gt;</c>, <c>&lt;unk&gt;</c>, <c>&lt;mask&gt;</c>,
    /// <c>[multimodal]</c>, <c>&lt;unused0&gt;</c>..<c>&lt;unused99&gt;</c>, then <c>&lt;start_of_turn&gt;</c> (106) and
    /// <c>&lt;end_of_turn&gt;</c> (107) as Gemma 2 and 3 number them, all control tokens but <c>&lt;unk&gt;</c>; the byte
    /// tokens and word pieces of <see cref="Build(int)"/> after them.
    /// </summary>
    public static SyntheticVocabulary BuildGemma(int size)
    {
        var specials = new List<(string, int)> { ("<pad>", TypeControl), ("<eos>", TypeControl), ("<bos>", TypeControl), ("<unk>", TypeUnknown), ("<mask>", TypeControl), ("[multimodal]", TypeControl) };
        specials.AddRange(Enumerable.Range(0, 100).Select(i => (string.Create(CultureInfo.InvariantCulture, $"<unused{i}>"), TypeControl)));
        specials.Add(("<start_of_turn>", TypeControl));
        specials.Add(("<end_of_turn>", TypeControl));
        return Build(size, specials);
    }

    private static SyntheticVocabulary Build(int size, List<(string Text, int Type)> specials)
    {
        var minimum = MinimumSize - 3 + specials.Count;
        if (size < minimum)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"a synthetic vocabulary needs at least {minimum} tokens (specials, bytes, characters)");
        }

        var tokens = new List<string>(size);
        var types = new List<int>(size);
        foreach (var (text, type) in specials)
        {
            tokens.Add(text);
            types.Add(type);
        }
        for (var b = 0; b < 256; b++)
        {
            tokens.Add(string.Create(CultureInfo.InvariantCulture, $"<0x{b:X2}>"));
            types.Add(TypeByte);
        }

        var pieces = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string piece)
        {
            if (seen.Add(piece))
            {
                pieces.Add(piece);
            }
        }

        Add(SpaceMarker);
        foreach (var c in Letters + Letters.ToUpperInvariant() + "0123456789" + Punctuation)
        {
            Add(c.ToString());
        }

        foreach (var c in Letters.ToUpperInvariant() + Letters)
        {
            Add(SpaceMarker + c);
        }

        foreach (var word in Words)
        {
            foreach (var form in new[] { SpaceMarker + word, SpaceMarker + Capitalize(word), word })
            {
                // Single characters are in already; every longer prefix is a merge step towards the word.
                for (var len = 2; len <= form.Length; len++)
                {
                    Add(form[..len]);
                }
            }
        }

        foreach (var filler in Syllables())
        {
            if (pieces.Count + tokens.Count >= size)
            {
                break;
            }

            Add(filler);
        }

        var scores = new List<float>(size);
        scores.AddRange(Enumerable.Repeat(0f, specials.Count + 256));
        foreach (var piece in pieces.Take(size - tokens.Count))
        {
            // SentencePiece scores are log-probabilities: earlier (more frequent) pieces score higher and merge first.
            scores.Add(-(float)scores.Count);
            tokens.Add(piece);
            types.Add(TypeNormal);
        }

        return new SyntheticVocabulary([.. tokens], [.. scores], [.. types]);
    }

    /// <summary>
    /// Phi-3's layout: <paramref name="size"/> tokens whose last ones are the added control tokens of
    /// <see cref="Phi3AddedTokens"/> and <c>[PADn]</c> fillers (type unknown, as Phi-3's files have them) up to a
    /// multiple of 64, the rest a vocabulary as <see cref="Build(int)"/> makes it.
    /// </summary>
    public static SyntheticVocabulary BuildPhi3(int size, int added)
    {
        if (added < Phi3AddedTokens.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(added), added, $"Phi-3's vocabulary adds at least {Phi3AddedTokens.Count} tokens");
        }

        var regular = Build(size - added);
        var tokens = regular.Tokens.ToList();
        var scores = regular.Scores.ToList();
        var types = regular.TokenTypes.ToList();
        for (var i = 0; i < added; i++)
        {
            tokens.Add(i < Phi3AddedTokens.Count ? Phi3AddedTokens[i] : string.Create(CultureInfo.InvariantCulture, $"[PAD{tokens.Count}]"));
            scores.Add(0f);
            types.Add(i < Phi3AddedTokens.Count ? TypeControl : TypeUnknown);
        }

        return new SyntheticVocabulary([.. tokens], [.. scores], [.. types]);
    }

    /// <summary>Phi-3's added tokens after the SentencePiece ones, in its id order (the first is its EOS).</summary>
    public static IReadOnlyList<string> Phi3AddedTokens { get; } =
    [
        "<|endoftext|>", "<|assistant|>", "<|placeholder1|>", "<|placeholder2|>", "<|placeholder3|>", "<|placeholder4|>",
        "<|system|>", "<|end|>", "<|placeholder5|>", "<|placeholder6|>", "<|user|>",
    ];

    /// <summary>Deterministic consonant-vowel syllables (with and without a leading space) to fill large vocabularies.</summary>
    private static IEnumerable<string> Syllables()
    {
        const string consonants = "bcdfghjklmnprstvwyz";
        const string vowels = "aeiou";
        foreach (var c in consonants)
        {
            foreach (var v in vowels)
            {
                yield return $"{c}{v}";
                yield return $"{v}{c}";
            }
        }

        foreach (var length in new[] { 3, 4, 5, 6 })
        {
            foreach (var s in Combine(consonants, vowels, length))
            {
                yield return SpaceMarker + s;
                yield return s;
            }
        }
    }

    private static IEnumerable<string> Combine(string consonants, string vowels, int length)
    {
        // Alternating consonant/vowel patterns starting with a consonant, enumerated in a fixed order.
        var alphabets = Enumerable.Range(0, length).Select(i => i % 2 == 0 ? consonants : vowels).ToArray();
        var index = new int[length];
        while (true)
        {
            yield return new string(Enumerable.Range(0, length).Select(i => alphabets[i][index[i]]).ToArray());
            var k = length - 1;
            while (k >= 0 && ++index[k] == alphabets[k].Length)
            {
                index[k] = 0;
                k--;
            }

            if (k < 0)
            {
                yield break;
            }
        }
    }

    private static string Capitalize(string word) => char.ToUpperInvariant(word[0]) + word[1..];
}

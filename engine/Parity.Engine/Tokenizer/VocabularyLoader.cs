using Parity.Gguf;

namespace Parity.Engine.Tokenizer;

/// <summary>
/// Reads a SentencePiece or byte-level BPE vocabulary from GGUF metadata the way llama.cpp's <c>llama_vocab::impl::load</c> does:
/// the same defaults, the same strict key types (a key of the wrong type fails the load, as it does in llama.cpp),
/// the same repairs (empty tokens renamed, out-of-range special ids ignored) and the same attribute heuristics.
/// </summary>
internal static class VocabularyLoader
{
    private const string AddSepKey = "tokenizer.ggml.add_sep_token";

    // Read in this order; the last three are deprecated spellings of the FIM ids and override them when present.
    private static readonly (SpecialToken Kind, string Key)[] IdKeys =
    [
        (SpecialToken.Bos, GgufKeys.BosTokenId),
        (SpecialToken.Eos, GgufKeys.EosTokenId),
        (SpecialToken.Eot, "tokenizer.ggml.eot_token_id"),
        (SpecialToken.Eom, "tokenizer.ggml.eom_token_id"),
        (SpecialToken.Unknown, GgufKeys.UnknownTokenId),
        (SpecialToken.Separator, "tokenizer.ggml.seperator_token_id"),
        (SpecialToken.Padding, GgufKeys.PaddingTokenId),
        (SpecialToken.Mask, "tokenizer.ggml.mask_token_id"),
        (SpecialToken.FimPrefix, "tokenizer.ggml.fim_pre_token_id"),
        (SpecialToken.FimSuffix, "tokenizer.ggml.fim_suf_token_id"),
        (SpecialToken.FimMiddle, "tokenizer.ggml.fim_mid_token_id"),
        (SpecialToken.FimPad, "tokenizer.ggml.fim_pad_token_id"),
        (SpecialToken.FimRepo, "tokenizer.ggml.fim_rep_token_id"),
        (SpecialToken.FimSeparator, "tokenizer.ggml.fim_sep_token_id"),
        (SpecialToken.FimPrefix, "tokenizer.ggml.prefix_token_id"),
        (SpecialToken.FimSuffix, "tokenizer.ggml.suffix_token_id"),
        (SpecialToken.FimMiddle, "tokenizer.ggml.middle_token_id"),
    ];

    public static Vocabulary Load(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var path = file.Path;
        var model = ReadString(file, GgufKeys.TokenizerModel)
            ?? throw new VocabularyException(path, $"{GgufKeys.TokenizerModel} is missing (llama.cpp requires it to pick the tokenizer)");
        var bpe = model switch
        {
            "llama" => null,
            "gpt2" => ReadBpe(file),
            _ => throw new VocabularyException(path, $"{GgufKeys.TokenizerModel} is '{model}' ({Describe(model)}); the engine implements: {Implemented}"),
        };

        // SentencePiece puts a space in front of the text by default; BPE never does unless the file says so.
        var addSpacePrefix = ReadBool(file, GgufKeys.AddSpacePrefix) ?? bpe is null;
        var tokens = ReadTokens(file);
        var n = tokens.Length;
        var scores = ReadScores(file, n);
        var attributes = ReadAttributes(file, n);

        var ids = new Dictionary<string, int>(n, StringComparer.Ordinal);
        for (var i = 0; i < n; i++)
        {
            if (tokens[i].Length == 0)
            {
                // llama.cpp renames empty tokens so that no text maps to them.
                tokens[i] = $"[EMPTY_{i}]";
            }

            if (!ids.TryAdd(tokens[i], i))
            {
                throw new VocabularyException(path, $"duplicate token in vocabulary: '{tokens[i]}' has ids {ids[tokens[i]]} and {i} (llama.cpp refuses to load it)");
            }
        }

        var special = DefaultSpecialIds(bpe);
        foreach (var (kind, key) in IdKeys)
        {
            if (special[(int)kind] >= n)
            {
                // A default beyond a tiny vocabulary is disabled rather than left dangling.
                special[(int)kind] = Vocabulary.NoToken;
            }

            // An id beyond the vocabulary is ignored with a warning in llama.cpp; the default stays.
            if (ReadUInt32(file, key) is { } id && id < (uint)n)
            {
                special[(int)kind] = (int)id;
            }
        }

        var addBos = ReadBool(file, GgufKeys.AddBosToken) ?? bpe?.PreTokenizer.AddBos ?? true;
        var addEos = ReadBool(file, GgufKeys.AddEosToken) ?? false;
        var addSep = ReadBool(file, AddSepKey) ?? false;
        RequireId(path, addBos, special[(int)SpecialToken.Bos], GgufKeys.AddBosToken, GgufKeys.BosTokenId);
        RequireId(path, addEos, special[(int)SpecialToken.Eos], GgufKeys.AddEosToken, GgufKeys.EosTokenId);
        RequireId(path, addSep, special[(int)SpecialToken.Separator], AddSepKey, "tokenizer.ggml.seperator_token_id");

        var eog = SpecialTokenHeuristics.Apply(tokens, attributes, special);
        SpecialTokenHeuristics.ApplyStripRules(
            path,
            tokens,
            ids,
            attributes,
            ReadString(file, GgufKeys.Name) ?? string.Empty,
            ReadString(file, GgufKeys.TokenizerPre) ?? string.Empty,
            ReadString(file, GgufKeys.Architecture) ?? string.Empty);

        return new Vocabulary(path, tokens, scores, attributes, special, addBos, addEos, addSpacePrefix, eog, bpe);
    }

    private const string Implemented = "llama (SentencePiece), gpt2 (byte-level BPE)";

    /// <summary>What llama.cpp calls the tokenizer models it knows, so a refusal says what the file is.</summary>
    private static string Describe(string model) => model switch
    {
        "bert" => "WordPiece",
        "t5" => "Unigram",
        "rwkv" => "RWKV",
        "plamo2" => "PLaMo-2",
        "gemma4" => "Gemma 4 BPE",
        "hybriddna" or "whitespace" => "a BPE variant with its own segmentation",
        "no_vocab" or "none" => "no vocabulary",
        _ => "not a tokenizer llama.cpp knows",
    };

    /// <summary>
    /// llama.cpp's defaults before the file's ids are read: SentencePiece BOS 1, EOS 2, UNK 0; BPE BOS and EOS 11
    /// (GPT-2's habit), no UNK, and no BOS at all for ChatGLM.
    /// </summary>
    private static int[] DefaultSpecialIds(BpeSettings? bpe)
    {
        var special = Enumerable.Repeat(Vocabulary.NoToken, Enum.GetValues<SpecialToken>().Length).ToArray();
        if (bpe is null)
        {
            special[(int)SpecialToken.Bos] = 1;
            special[(int)SpecialToken.Eos] = 2;
            special[(int)SpecialToken.Unknown] = 0;
        }
        else
        {
            special[(int)SpecialToken.Bos] = bpe.PreTokenizer.NoBos ? Vocabulary.NoToken : 11;
            special[(int)SpecialToken.Eos] = 11;
        }

        return special;
    }

    /// <summary>The pre-tokenizer (refused by name unless the engine implements it) and the merges of a gpt2 vocabulary.</summary>
    private static BpeSettings ReadBpe(GgufFile file)
    {
        var pre = ReadString(file, GgufKeys.TokenizerPre) ?? string.Empty;
        var preTokenizer = BpePreTokenizers.Find(pre) ?? throw new VocabularyException(
            file.Path,
            $"{GgufKeys.TokenizerPre} is '{pre}' ({(BpePreTokenizers.NotImplemented.Contains(pre) ? "llama.cpp knows it, the engine does not implement it" : "llama.cpp does not know it either")}); the engine implements: {string.Join(", ", BpePreTokenizers.Names)}");
        if (!file.TryGetValue(GgufKeys.Merges, out var value))
        {
            throw new VocabularyException(file.Path, $"{GgufKeys.Merges} is missing (llama.cpp requires the merges of a gpt2 vocabulary)");
        }

        if (!value.IsArray || value.ElementType != GgufValueType.String)
        {
            throw WrongType(file.Path, GgufKeys.Merges, value, "an array of strings");
        }

        return new BpeSettings(pre, preTokenizer, new BpeMerges(value.AsArray<string>()));
    }

    private static string[] ReadTokens(GgufFile file)
    {
        if (!file.TryGetValue(GgufKeys.Tokens, out var value))
        {
            throw new VocabularyException(file.Path, $"{GgufKeys.Tokens} is missing: the file has no vocabulary");
        }

        if (!value.IsArray || value.ElementType != GgufValueType.String)
        {
            throw WrongType(file.Path, GgufKeys.Tokens, value, "an array of strings");
        }

        return [.. value.AsArray<string>()];
    }

    private static float[] ReadScores(GgufFile file, int n)
    {
        if (!file.TryGetValue(GgufKeys.Scores, out var value))
        {
            return new float[n];
        }

        float[] scores = value is { IsArray: true, ElementType: GgufValueType.Float32 } ? value.AsArray<float>()
            : value is { IsArray: true, ElementType: GgufValueType.Int32 } ? [.. value.AsArray<int>().Select(s => (float)s)]
            : throw WrongType(file.Path, GgufKeys.Scores, value, "an array of f32 or i32");
        return scores.Length >= n
            ? scores[..n]
            : throw new VocabularyException(file.Path, $"{GgufKeys.Scores} has {scores.Length} entries for {n} tokens");
    }

    private static TokenAttributes[] ReadAttributes(GgufFile file, int n)
    {
        if (!file.TryGetValue(GgufKeys.TokenTypes, out var value))
        {
            // Without types every token is normal.
            return Enumerable.Repeat(TokenAttributes.Normal, n).ToArray();
        }

        if (value is not { IsArray: true, ElementType: GgufValueType.Int32 })
        {
            throw WrongType(file.Path, GgufKeys.TokenTypes, value, "an array of i32");
        }

        var types = value.AsArray<int>();
        if (types.Length < n)
        {
            throw new VocabularyException(file.Path, $"{GgufKeys.TokenTypes} has {types.Length} entries for {n} tokens");
        }

        return [.. types.Take(n).Select(t => (TokenType)t switch
        {
            TokenType.Unknown => TokenAttributes.Unknown,
            TokenType.Unused => TokenAttributes.Unused,
            TokenType.Normal => TokenAttributes.Normal,
            TokenType.Control => TokenAttributes.Control,
            TokenType.UserDefined => TokenAttributes.UserDefined,
            TokenType.Byte => TokenAttributes.Byte,
            _ => TokenAttributes.Undefined,
        })];
    }

    private static void RequireId(string path, bool add, int id, string addKey, string idKey)
    {
        if (add && id == Vocabulary.NoToken)
        {
            throw new VocabularyException(path, $"{addKey} is true, but {idKey} is not set");
        }
    }

    private static string? ReadString(GgufFile file, string key) =>
        !file.TryGetValue(key, out var v) ? null
        : v.Type == GgufValueType.String ? v.AsString()
        : throw WrongType(file.Path, key, v, "a string");

    private static bool? ReadBool(GgufFile file, string key) =>
        !file.TryGetValue(key, out var v) ? null
        : v.Type == GgufValueType.Bool ? v.AsBool()
        : throw WrongType(file.Path, key, v, "a bool");

    private static uint? ReadUInt32(GgufFile file, string key) =>
        !file.TryGetValue(key, out var v) ? null
        : v.Type == GgufValueType.UInt32 ? (uint)v.AsInt64()
        : throw WrongType(file.Path, key, v, "a u32");

    private static VocabularyException WrongType(string path, string key, GgufValue value, string expected) =>
        new(path, $"{key} is {(value.IsArray ? $"an array of {value.ElementType}" : value.Type.ToString())}, but llama.cpp requires {expected}");
}

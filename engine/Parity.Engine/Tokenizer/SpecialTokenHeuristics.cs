namespace Parity.Engine.Tokenizer;

/// <summary>
/// llama.cpp's load-time guesses about special tokens (end of <c>llama_vocab::impl::load</c>), which change token
/// attributes and therefore tokenization: a text that looks like a control token (<c>&lt;|im_end|&gt;</c>) becomes one
/// even when the GGUF says it is normal, so the special-token pass splits on it and it renders only with
/// <c>unparse_special</c>. Phi-3 models get rstrip on their specials by model name.
/// <para>
/// llama.cpp walks an <c>unordered_map</c>, so when two texts of one list are both present, which becomes the EOT or
/// FIM token is up to its hash order; here the lower id wins. The lists are those of the pinned llama.cpp.
/// </para>
/// </summary>
internal static class SpecialTokenHeuristics
{
    private const string FullwidthBar = "\uFF5C";
    private const string SpaceMarker = "\u2581";

    private static readonly string DeepSeekEndOfSentence = $"<{FullwidthBar}end{SpaceMarker}of{SpaceMarker}sentence{FullwidthBar}>";

    private static readonly string[] EotTexts =
    [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]",
        DeepSeekEndOfSentence, "<end_of_utterance>",
    ];

    private static readonly string[] EomTexts = ["<|eom_id|>"];

    private static readonly string[] FimPrefixTexts =
    [
        "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", $"<{FullwidthBar}fim{SpaceMarker}begin{FullwidthBar}>", "<PRE>", SpaceMarker + "<PRE>",
        "<|code_prefix|>", "<|prefix|>",
    ];

    private static readonly string[] FimSuffixTexts =
    [
        "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", $"<{FullwidthBar}fim{SpaceMarker}hole{FullwidthBar}>", "<SUF>", SpaceMarker + "<SUF>",
        "<|code_suffix|>", "<|suffix|>",
    ];

    private static readonly string[] FimMiddleTexts =
    [
        "<|fim_middle|>", "<fim-middle>", "<fim_middle>", $"<{FullwidthBar}fim{SpaceMarker}end{FullwidthBar}>", "<MID>", SpaceMarker + "<MID>",
        "<|code_middle|>", "<|middle|>",
    ];

    private static readonly string[] FimPadTexts = ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"];

    private static readonly string[] FimRepoTexts = ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"];

    private static readonly string[] FimSeparatorTexts = ["<|file_sep|>"];

    private static readonly string[] EndOfGenerationTexts =
    [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>",
        "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
        DeepSeekEndOfSentence, "[e~[",
    ];

    // gpt-oss: always rendered, so they are user-defined whatever the file says.
    private static readonly string[] AlwaysRenderedTexts = ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"];

    private static readonly (SpecialToken Kind, string[] Texts)[] Detected =
    [
        (SpecialToken.Eot, EotTexts),
        (SpecialToken.Eom, EomTexts),
        (SpecialToken.FimPrefix, FimPrefixTexts),
        (SpecialToken.FimSuffix, FimSuffixTexts),
        (SpecialToken.FimMiddle, FimMiddleTexts),
        (SpecialToken.FimPad, FimPadTexts),
        (SpecialToken.FimRepo, FimRepoTexts),
        (SpecialToken.FimSeparator, FimSeparatorTexts),
    ];

    /// <summary>Fills unset EOT/EOM/FIM ids, forces control on control-looking texts, and returns the end-of-generation set.</summary>
    public static HashSet<int> Apply(string[] tokens, TokenAttributes[] attributes, int[] special)
    {
        for (var id = 0; id < tokens.Length; id++)
        {
            foreach (var (kind, texts) in Detected)
            {
                if (special[(int)kind] == Vocabulary.NoToken && texts.Contains(tokens[id], StringComparer.Ordinal))
                {
                    special[(int)kind] = id;
                    attributes[id] |= TokenAttributes.Control;
                }
            }
        }

        for (var id = 0; id < tokens.Length; id++)
        {
            if ((attributes[id] & TokenAttributes.Control) != 0 && tokens[id].Contains("unused", StringComparison.Ordinal))
            {
                attributes[id] |= TokenAttributes.Unused;
            }
        }

        var eog = new HashSet<int>();
        foreach (var kind in new[] { SpecialToken.FimPad, SpecialToken.FimRepo, SpecialToken.FimSeparator })
        {
            if (special[(int)kind] != Vocabulary.NoToken)
            {
                eog.Add(special[(int)kind]);
            }
        }

        for (var id = 0; id < tokens.Length; id++)
        {
            if (EndOfGenerationTexts.Contains(tokens[id], StringComparer.Ordinal))
            {
                eog.Add(id);
                attributes[id] |= TokenAttributes.Control;
            }
        }

        for (var id = 0; id < tokens.Length; id++)
        {
            if (AlwaysRenderedTexts.Contains(tokens[id], StringComparer.Ordinal))
            {
                attributes[id] = TokenAttributes.UserDefined;
            }
        }

        foreach (var kind in new[] { SpecialToken.Eos, SpecialToken.Eot, SpecialToken.Eom })
        {
            if (special[(int)kind] != Vocabulary.NoToken)
            {
                eog.Add(special[(int)kind]);
            }
        }

        // o200k_harmony and solar-open end turns with <|return|>/<|call|>, so their <|end|> is an ordinary rendered token.
        int EogWith(string text) => eog.Where(id => id < tokens.Length && tokens[id] == text).DefaultIfEmpty(Vocabulary.NoToken).First();
        var end = EogWith("<|end|>");
        var hasCall = EogWith("<|call|>") != Vocabulary.NoToken || EogWith("<|calls|>") != Vocabulary.NoToken;
        if (end != Vocabulary.NoToken && hasCall && (EogWith("<|return|>") != Vocabulary.NoToken || EogWith("<|flush|>") != Vocabulary.NoToken))
        {
            eog.Remove(end);
            attributes[end] = TokenAttributes.UserDefined;
        }

        // Gemma 4 and PaddleOCR: </s> is plain text when the vocabulary also has <|tool_response>.
        var endOfSentence = EogWith("</s>");
        if (endOfSentence != Vocabulary.NoToken && EogWith("<|tool_response>") != Vocabulary.NoToken)
        {
            eog.Remove(endOfSentence);
            attributes[endOfSentence] = TokenAttributes.Normal;
        }

        return eog;
    }

    /// <summary>
    /// The per-model lstrip/rstrip attributes ("Handle per token attributes"), chosen by <c>general.name</c>,
    /// <c>tokenizer.ggml.pre</c> and <c>general.architecture</c>. Phi-3's rstrip makes the special-token pass eat
    /// the whitespace after its chat tokens.
    /// </summary>
    public static void ApplyStripRules(string path, string[] tokens, Dictionary<string, int> ids, TokenAttributes[] attributes, string modelName, string pre, string architecture)
    {
        var name = AsciiLower(modelName);
        void Set(string token, TokenAttributes attr, bool on, bool required)
        {
            if (!ids.TryGetValue(token, out var id))
            {
                if (required)
                {
                    throw new VocabularyException(path, $"general.name '{modelName}' makes llama.cpp apply Phi-3's rstrip rules, which need the token '{token}'; the vocabulary has none");
                }

                return;
            }

            attributes[id] = on ? attributes[id] | attr : attributes[id] & ~attr;
        }

        if (ContainsAny(pre, "jina-v2-de", "jina-v2-es", "jina-v2-code") || ContainsAny(architecture, "nomic-bert-moe", "jina-bert-v3"))
        {
            Set("<mask>", TokenAttributes.LStrip, on: true, required: false);
        }
        else if (ContainsAny(name, "phi-3", "phi3"))
        {
            for (var id = 0; id < tokens.Length; id++)
            {
                if ((attributes[id] & (TokenAttributes.Control | TokenAttributes.UserDefined | TokenAttributes.Unknown)) != 0)
                {
                    attributes[id] |= TokenAttributes.RStrip;
                }
            }

            Set("</s>", TokenAttributes.RStrip, on: true, required: true);
            foreach (var token in new[] { "<unk>", "<s>", "<|endoftext|>" })
            {
                Set(token, TokenAttributes.RStrip, on: false, required: true);
            }
        }
        else if (ContainsAny(name, "modern-bert"))
        {
            Set("[MASK]", TokenAttributes.LStrip, on: true, required: false);
        }
    }

    private static bool ContainsAny(string text, params string[] parts) => parts.Any(p => text.Contains(p, StringComparison.Ordinal));

    /// <summary>std::tolower per byte in the "C" locale: only A-Z change.</summary>
    private static string AsciiLower(string text) => string.Create(text.Length, text, (span, s) =>
    {
        for (var i = 0; i < s.Length; i++)
        {
            span[i] = s[i] is >= 'A' and <= 'Z' ? (char)(s[i] + 32) : s[i];
        }
    });
}

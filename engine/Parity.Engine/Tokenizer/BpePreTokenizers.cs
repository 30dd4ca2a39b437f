namespace Parity.Engine.Tokenizer;

/// <summary>
/// The pre-tokenizers of llama.cpp's byte-level BPE (<c>llm_tokenizer_bpe</c> and the <c>tokenizer.ggml.pre</c>
/// branch of <c>llama_vocab::impl::load</c>) as one table: each name maps to its regexes and flags. A name missing
/// here is refused; <see cref="NotImplemented"/> lists the ones llama.cpp knows, so the refusal can say so.
/// </summary>
internal static class BpePreTokenizers
{
    private const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";
    private const string Llama3 = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen2 = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen35 = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Contractions = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
    private const string CaseRuns = @"((?=[\p{L}])([^a-z]))";
    private const string LowerRuns = @"((?=[\p{L}])([^A-Z]))";
    private const string Poro = " ?[^(\\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+";
    private const string YoutuCjk = "[\uAC00-\uD7A3\u3131-\u318E]+|[\uFF01\u2026\u201C\u201D\u2018\u2019\u2014\uFF1A\uFF1B\uFF0C\u3001-\u303F\uFE30-\uFE4F]+|[\u3105-\u312F]+|[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+";
    private const string Cjk = "[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+";

    /// <summary>
    /// DeepSeek LLM's letters: the cased letters (Lu, Ll, Lt) of the tokenizer's Unicode version, ranges as
    /// llama.cpp lists them.
    /// </summary>
    private const string DeepSeekLetters =
        "\\s?[A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377"
        + "\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556"
        + "\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A"
        + "\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4"
        + "\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC"
        + "\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F"
        + "\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B"
        + "\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A"
        + "\U00010400-\U0001044F\U000104B0-\U000104D3\U000104D8-\U000104FB\U00010C80-\U00010CB2\U00010CC0-\U00010CF2"
        + "\U000118A0-\U000118DF\U0001E900-\U0001E943]+";

    private static readonly string[] DefaultRegexes = [@"[\p{P}\$\+<=>\^~\|]+", Gpt2, @"\p{N}+", "[0-9][0-9][0-9]"];
    private static readonly string[] StarCoderRegexes = [@"\p{N}", Gpt2];
    private static readonly string[] DeepSeek3Regexes =
    [
        @"\p{N}{1,3}",
        "[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+",
        @"[!""#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    ];

    private static readonly string[] Gpt4oRegexes =
    [
        $@"[^\r\n\p{{L}}\p{{N}}]?{CaseRuns}*{LowerRuns}+{Contractions}?|[^\r\n\p{{L}}\p{{N}}]?{CaseRuns}+{LowerRuns}*{Contractions}?|\p{{N}}{{1,3}}| ?[^\s\p{{L}}\p{{N}}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    ];

    /// <summary>Every implemented pre-tokenizer by the names llama.cpp accepts for it.</summary>
    private static readonly Dictionary<string, BpePreTokenizer> ByName = Build(
    [
        (["default"], new("default", DefaultRegexes)),
        (["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"], new("llama3", [Llama3], IgnoreMerges: true, AddBos: true)),
        (["dbrx"], new("dbrx", [Llama3])),
        (["smaug-bpe"], new("smaug", [Llama3])),
        (["deepseek-llm"], new("deepseek-llm", ["[\r\n]", DeepSeekLetters, "\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+", @"\s+$", Cjk, @"\p{N}+"], CleanSpaces: false)),
        (["deepseek-coder"], new("deepseek-coder", ["[\r\n]", @"\s?\p{L}+", @"\s?\p{P}+", Cjk, @"\p{N}"], CleanSpaces: false)),
        (["deepseek-v3"], new("deepseek-v3", DeepSeek3Regexes, CleanSpaces: false)),
        (["hunyuan-dense"], new("hunyuan-dense", DeepSeek3Regexes, CleanSpaces: false)),
        (["joyai-llm"], new("joyai-llm", DeepSeek3Regexes, CleanSpaces: false)),
        (["falcon"], new("falcon", [@"[\p{P}\$\+<=>\^~\|`]+", Gpt2, "[0-9][0-9][0-9]"])),
        (["starcoder"], new("starcoder", StarCoderRegexes)),
        (["refact"], new("refact", StarCoderRegexes)),
        (["command-r"], new("command-r", StarCoderRegexes, CleanSpaces: false)),
        (["smollm"], new("smollm", StarCoderRegexes, CleanSpaces: false)),
        (["codeshell"], new("codeshell", StarCoderRegexes)),
        (["exaone"], new("exaone", StarCoderRegexes)),
        (["minerva-7b"], new("minerva", StarCoderRegexes)),
        (["mellum2"], new("mellum2", StarCoderRegexes)),
        // Newer llama.cpp also sets add_sep for jina-v1-en, jina-v2-code and roberta-bpe; the pinned build does not.
        (["gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum", "modern-bert", "exaone4", "jina-v1-en", "jina-v2-code", "roberta-bpe"], new("gpt2", [Gpt2])),
        (["mpt"], new("mpt", [Gpt2])),
        (["olmo"], new("olmo", [Gpt2])),
        (["jais"], new("jais", [Gpt2])),
        (["trillion"], new("trillion", [Gpt2], CleanSpaces: false)),
        (["granite-docling"], new("granite-docling", [Gpt2], CleanSpaces: false)),
        (["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2"], new("qwen2", [Qwen2], CleanSpaces: false)),
        (["megrez"], new("megrez", [Qwen2])),
        (["stablelm2"], new("stablelm2", [Qwen2])),
        (["hunyuan"], new("hunyuan", [Qwen2], CleanSpaces: false)),
        (["solar-open"], new("solar-open", [Qwen2], CleanSpaces: false)),
        (["grok-2"], new("grok-2", [Qwen2], CleanSpaces: false)),
        (["qwen35"], new("qwen35", [Qwen35], CleanSpaces: false)),
        (["poro-chat"], new("poro", [Poro], CleanSpaces: false)),
        (["bloom"], new("bloom", [Poro])),
        (["gpt3-finnish"], new("gpt3-finnish", [Poro])),
        (["viking"], new("viking", [Poro, @"\p{N}"], CleanSpaces: false)),
        (["glm4", "chatglm-bpe"], new("chatglm4", [Llama3], NoBos: true)),
        (["tekken"], new("tekken", [$@"[^\r\n\p{{L}}\p{{N}}]?{CaseRuns}*{LowerRuns}+|[^\r\n\p{{L}}\p{{N}}]?{CaseRuns}+{LowerRuns}*|\p{{N}}| ?[^\s\p{{L}}\p{{N}}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"], CleanSpaces: false, IgnoreMerges: true, AddBos: true)),
        (["chameleon"], new("chameleon", ["<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", @"([\t\n]|    |  )", @"\p{N}", @"[\p{P}!-/:-@\[-`{-~]", Gpt2], CleanSpaces: false, AddBos: true)),
        (["gpt-4o", "llama4", "kanana2", "talkie"], new("gpt-4o", Gpt4oRegexes, CleanSpaces: false)),
        (["minimax-m2"], new("minimax-m2", Gpt4oRegexes, CleanSpaces: false)),
        (["bailingmoe", "bailingmoe2", "llada-moe"], new("bailingmoe", [@"'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"], CleanSpaces: false)),
        (["seed-coder"], new("seed-coder", [$@"{Contractions}|[^\r\n\p{{L}}\p{{N}}]?\p{{L}}+|\p{{N}}{{1}}| ?[^\s\p{{L}}\p{{N}}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+"], CleanSpaces: false)),
        (["minicpm5"], new("minicpm5", [@"\p{N}{1,3}", $@"{Contractions}|[^\r\n\p{{L}}\p{{N}}]?\p{{L}}+|\p{{N}}+| ?[^\s\p{{L}}\p{{N}}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"], IgnoreMerges: true)),
        (["youtu"], new("youtu", [YoutuCjk, $@"[^\r\n\p{{L}}\p{{N}}]?[\p{{Lu}}\p{{Lt}}\p{{Lm}}\p{{Lo}}\p{{M}}]*[\p{{Ll}}\p{{Lm}}\p{{Lo}}\p{{M}}]+{Contractions}?|[^\r\n\p{{L}}\p{{N}}]?[\p{{Lu}}\p{{Lt}}\p{{Lm}}\p{{Lo}}\p{{M}}]+[\p{{Ll}}\p{{Lm}}\p{{Lo}}\p{{M}}]*{Contractions}?|\p{{N}}| ?[^\s\p{{L}}\p{{N}}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"], CleanSpaces: false, IgnoreMerges: true)),
        (["jais-2"], new("jais-2", [$@"{Contractions}|[^\r\n\p{{L}}\p{{N}}]?\p{{L}}+|\p{{N}}{{1,3}}| ?[^\s\p{{L}}\p{{N}}]+[\r\n]*|\s*[\r\n]+|\s{{512}}(?!\S)|\s{{256}}(?!\S)|\s{{128}}(?!\S)|\s{{64}}(?!\S)|\s{{32}}(?!\S)|\s{{16}}(?!\S)|\s{{8}}(?!\S)|\s{{4}}(?!\S)|\s{{1,2}}(?!\S)|\s{{1}}"])),
        (["laguna"], new("laguna", [@"[^\n]+|[\n]+", Qwen2], CleanSpaces: false)),
        (["exaone-moe"], new("exaone-moe", [$@"{Contractions}|[^\r\n\p{{L}}\p{{N}}]?(?:\p{{L}}\p{{M}}*(?: \p{{L}}\p{{M}}*)*)+|\p{{N}}| ?[^\s\p{{L}}\p{{N}}]+[\r\n/]?|\s*[\r\n]|\s+(?!\S)|\s+"])),
        (["granite-embed-multi-97m"], new("granite-embed-multi", [$@"[^\r\n\p{{L}}\p{{N}}]?((?=[\p{{L}}\p{{M}}])([^a-z]))*((?=[\p{{L}}\p{{M}}])([^A-Z]))+{Contractions}?|[^\r\n\p{{L}}\p{{N}}]?((?=[\p{{L}}\p{{M}}])([^a-z]))+((?=[\p{{L}}\p{{M}}])([^A-Z]))*{Contractions}?|\p{{N}}{{1,3}}| ?[^\s\p{{L}}\p{{N}}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"], CleanSpaces: false, IgnoreMerges: true)),
    ]);

    /// <summary>Names llama.cpp accepts that the engine does not implement (custom splitters or other tokenizer paths).</summary>
    public static IReadOnlyList<string> NotImplemented { get; } =
    [
        "kimi-k2", "afmoe", // hand-written splitters of their own
        "superbpe", // a lookahead-only regex whose empty matches std::regex_iterator treats its own way
        "tiny_aya", "cohere2moe", // \b, whose "word" std::wregex takes from the C locale
        "gemma4", "sarvam-moe", "whitespace", // SentencePiece-style BPE without byte encoding, or no merging at all
    ];

    /// <summary>Every name the engine implements, for messages.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. ByName.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The pre-tokenizer for a name; an absent or empty key is llama.cpp's "default" (with a warning there).</summary>
    public static BpePreTokenizer? Find(string? name) => ByName.GetValueOrDefault(string.IsNullOrEmpty(name) ? "default" : name);

    /// <summary>Every distinct table entry (tests compile them all).</summary>
    public static IEnumerable<BpePreTokenizer> All => ByName.Values.Distinct();

    /// <summary>One name for each distinct table entry (the first listed).</summary>
    public static IEnumerable<string> OneNameEach => ByName.GroupBy(p => p.Value).Select(g => g.First().Key);

    private static Dictionary<string, BpePreTokenizer> Build((string[] Names, BpePreTokenizer Entry)[] rows) =>
        rows.SelectMany(r => r.Names.Select(n => (Name: n, r.Entry))).ToDictionary(x => x.Name, x => x.Entry, StringComparer.Ordinal);
}

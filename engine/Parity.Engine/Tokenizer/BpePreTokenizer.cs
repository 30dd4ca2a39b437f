namespace Parity.Engine.Tokenizer;

/// <summary>
/// What one <c>tokenizer.ggml.pre</c> value makes llama.cpp do: the regexes that cut text into words (applied one
/// after another, each to the pieces the previous left) and the load-time flags it sets.
/// </summary>
/// <param name="Name">The name the table lists it under (llama.cpp's <c>LLAMA_VOCAB_PRE_TYPE_*</c>, lower case).</param>
/// <param name="Regexes">The regexes exactly as llama.cpp writes them.</param>
/// <param name="CleanSpaces">Detokenization removes the space before <c>?!.,</c> and some contractions.</param>
/// <param name="IgnoreMerges">A word that is a token as a whole is emitted without merging.</param>
/// <param name="AddBos">The default of <c>tokenizer.ggml.add_bos_token</c>.</param>
/// <param name="NoBos">The BOS default (token 11) is dropped, as llama.cpp does for ChatGLM.</param>
internal sealed class BpePreTokenizer(
    string Name,
    IReadOnlyList<string> Regexes,
    bool CleanSpaces = true,
    bool IgnoreMerges = false,
    bool AddBos = false,
    bool NoBos = false)
{
    public string Name { get; } = Name;

    public IReadOnlyList<string> Regexes { get; } = Regexes;

    public bool CleanSpaces { get; } = CleanSpaces;

    public bool IgnoreMerges { get; } = IgnoreMerges;

    public bool AddBos { get; } = AddBos;

    public bool NoBos { get; } = NoBos;

    private const string Gpt2Regex = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";
    private const string Llama3Regex = @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private Split[]? _steps;

    private delegate List<int> Split(int[] cpts, List<int> segments);

    /// <summary>Word lengths in code points (llama.cpp's <c>bpe_offsets</c>), starting from the whole text as one segment.</summary>
    public List<int> Words(int[] cpts)
    {
        var segments = new List<int> { cpts.Length };
        foreach (var step in Steps())
        {
            segments = step(cpts, segments);
        }

        return segments;
    }

    /// <summary>Builds every regex now, so a table entry that .NET cannot compile fails at once.</summary>
    public void Validate() => Steps();

    private Split[] Steps() => _steps ??= [.. Regexes.Select(Compile)];

    /// <summary>
    /// llama.cpp picks its hand-written splitter when the regex is, character for character, the GPT-2 or the
    /// Llama 3 one; any other regex goes through std::regex.
    /// </summary>
    private static Split Compile(string regex)
    {
        switch (regex)
        {
            case Gpt2Regex:
                return CustomSplitters.Gpt2;
            case Llama3Regex:
                return CustomSplitters.Llama3;
            default:
                var splitter = new RegexSplitter(regex);
                return (cpts, segments) => splitter.Split(splitter.Prepare(cpts), segments);
        }
    }
}

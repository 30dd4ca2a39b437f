using System.Collections.ObjectModel;
using System.Text;
using Parity.Gguf;

namespace Parity.Engine.Tokenizer;

/// <summary>
/// A vocabulary as llama.cpp's <c>llama_vocab</c> holds it after loading: token texts, scores, attributes (after
/// llama.cpp's load-time adjustments), special token ids and the BOS/EOS/space-prefix flags, for SentencePiece
/// (<c>tokenizer.ggml.model = llama</c>) or byte-level BPE (<c>gpt2</c>, which adds a pre-tokenizer and merges).
/// Built by <see cref="Load(string)"/> or <see cref="FromGguf"/>; immutable.
/// </summary>
public sealed class Vocabulary
{
    /// <summary>llama.cpp's <c>LLAMA_TOKEN_NULL</c>: no such token.</summary>
    public const int NoToken = -1;

    private static readonly byte[] SpaceMarkerUtf8 = [0xE2, 0x96, 0x81];

    private readonly byte[][] _text;
    private readonly float[] _scores;
    private readonly TokenAttributes[] _attributes;
    private readonly Dictionary<ReadOnlyMemory<byte>, int> _ids;
    private readonly int[] _special;
    private readonly int[] _byteTokens;
    private readonly byte[][] _pieces;

    internal Vocabulary(string sourcePath, string[] tokens, float[] scores, TokenAttributes[] attributes, int[] specialIds, bool addBos, bool addEos, bool addSpacePrefix, IReadOnlySet<int> endOfGeneration, BpeSettings? bpe = null)
    {
        SourcePath = sourcePath;
        Bpe = bpe;
        Tokens = new ReadOnlyCollection<string>(tokens);
        _scores = scores;
        _attributes = attributes;
        _special = specialIds;
        AddBos = addBos;
        AddEos = addEos;
        AddSpacePrefix = addSpacePrefix;
        EndOfGenerationIds = endOfGeneration;

        _text = new byte[tokens.Length][];
        _ids = new Dictionary<ReadOnlyMemory<byte>, int>(tokens.Length, ByteSequenceComparer.Instance);
        for (var id = 0; id < tokens.Length; id++)
        {
            _text[id] = Encoding.UTF8.GetBytes(tokens[id]);
            _ids.Add(_text[id], id);
        }

        // cache_special_tokens: every control, user-defined or unknown token, longest text first, so the special-token
        // pass finds "<|im_end|>" before a shorter token inside it. llama.cpp's std::sort leaves equal lengths in an
        // unspecified order; ids ascending here (it only matters when two equally long specials overlap in a text).
        SpecialTokens = new ReadOnlyCollection<int>(Enumerable.Range(0, tokens.Length)
            .Where(id => (attributes[id] & (TokenAttributes.Control | TokenAttributes.UserDefined | TokenAttributes.Unknown)) != 0)
            .OrderByDescending(id => _text[id].Length)
            .ThenBy(id => id)
            .ToArray());

        _byteTokens = new int[256];
        for (var b = 0; b < 256; b++)
        {
            _byteTokens[b] = FindByteToken((byte)b);
        }

        // llama.cpp renders every token once at load (cache_token_to_piece, special = true) and serves pieces from there.
        _pieces = new byte[tokens.Length][];
        for (var id = 0; id < tokens.Length; id++)
        {
            _pieces[id] = RenderPiece(id);
        }
    }

    /// <summary>The GGUF file the vocabulary came from (named in every error).</summary>
    public string SourcePath { get; }

    public int Count => _text.Length;

    /// <summary>Whether this is a byte-level BPE vocabulary (<c>tokenizer.ggml.model = gpt2</c>).</summary>
    public bool IsBytePairEncoding => Bpe is not null;

    /// <summary>The <c>tokenizer.ggml.pre</c> value of a BPE vocabulary as written (empty if absent); null for SentencePiece.</summary>
    public string? PreTokenizerName => Bpe?.Pre;

    /// <summary>The pre-tokenizer and merges of a BPE vocabulary; null for SentencePiece.</summary>
    internal BpeSettings? Bpe { get; }

    public IReadOnlyList<string> Tokens { get; }

    public IReadOnlyList<float> Scores => _scores;

    /// <summary>Attributes after llama.cpp's load-time adjustments (not only the GGUF token types).</summary>
    public IReadOnlyList<TokenAttributes> Attributes => _attributes;

    public int BosId => GetSpecialId(SpecialToken.Bos);

    public int EosId => GetSpecialId(SpecialToken.Eos);

    public int UnknownId => GetSpecialId(SpecialToken.Unknown);

    /// <summary><see cref="NoToken"/> unless the file names one (SentencePiece has no padding token by default).</summary>
    public int PaddingId => GetSpecialId(SpecialToken.Padding);

    /// <summary>Whether <c>add_special</c> puts BOS in front (<c>tokenizer.ggml.add_bos_token</c>, default true).</summary>
    public bool AddBos { get; }

    /// <summary>Whether <c>add_special</c> appends EOS (<c>tokenizer.ggml.add_eos_token</c>, default false).</summary>
    public bool AddEos { get; }

    /// <summary>Whether text at the start or after a special token gets a leading space (<c>tokenizer.ggml.add_space_prefix</c>, default true).</summary>
    public bool AddSpacePrefix { get; }

    /// <summary>The tokens the special-token pass looks for, in the order it tries them (longest text first).</summary>
    public IReadOnlyList<int> SpecialTokens { get; }

    /// <summary>Tokens that end generation (llama.cpp's <c>special_eog_ids</c>).</summary>
    public IReadOnlySet<int> EndOfGenerationIds { get; }

    /// <summary>Reads the vocabulary of a GGUF model or vocab-only file.</summary>
    public static Vocabulary Load(string path)
    {
        using var file = GgufFile.Open(path);
        return FromGguf(file);
    }

    /// <summary>Reads the vocabulary from an open GGUF file; throws <see cref="VocabularyException"/> for anything but SentencePiece.</summary>
    public static Vocabulary FromGguf(GgufFile file) => VocabularyLoader.Load(file);

    public int GetSpecialId(SpecialToken kind) => _special[(int)kind];

    /// <summary>The id of the token whose text is exactly <paramref name="text"/>, or <see cref="NoToken"/>.</summary>
    public int TokenToId(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Find(Encoding.UTF8.GetBytes(text));
    }

    public TokenAttributes GetAttributes(int token)
    {
        CheckToken(token);
        return _attributes[token];
    }

    /// <summary>llama.cpp's <c>byte_to_token</c>: the token standing for one raw byte.</summary>
    public int ByteToToken(byte value) =>
        _byteTokens[value] is var id and not NoToken
            ? id
            : throw new VocabularyException(SourcePath, $"no token for byte 0x{value:X2} (neither <0x{value:X2}> nor the byte itself); llama.cpp fails here too");

    internal int Find(ReadOnlyMemory<byte> text) => _ids.TryGetValue(text, out var id) ? id : NoToken;

    internal float Score(int token) => _scores[token];

    internal ReadOnlySpan<byte> TextBytes(int token) => _text[token];

    /// <summary>The piece rendered with <c>special = true</c>; callers apply the control/unknown suppression.</summary>
    internal ReadOnlySpan<byte> Piece(int token) => _pieces[token];

    internal void CheckToken(int token)
    {
        if ((uint)token >= (uint)_text.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(token), token, $"{SourcePath}: token id outside the vocabulary (0..{_text.Length - 1})");
        }
    }

    /// <summary>
    /// llama.cpp's <c>byte_to_token</c>: for SentencePiece the "&lt;0xXX&gt;" token (upper-case hex), else a token that
    /// is the byte itself; for BPE the token spelled with the byte's GPT-2 stand-in character.
    /// </summary>
    private int FindByteToken(byte value)
    {
        if (Bpe is not null)
        {
            return Find(ByteLevel.Encode(value).ToArray());
        }

        var hex = Encoding.ASCII.GetBytes($"<0x{value:X2}>");
        return _ids.TryGetValue(hex, out var id) ? id : _ids.TryGetValue(new[] { value }, out id) ? id : NoToken;
    }

    /// <summary>llama.cpp's <c>token_to_piece</c> without its cache, as used to fill it (SentencePiece or BPE branch).</summary>
    private byte[] RenderPiece(int token)
    {
        var attr = _attributes[token];
        var text = _text[token];
        if ((attr & (TokenAttributes.Unknown | TokenAttributes.Control | TokenAttributes.UserDefined)) != 0)
        {
            return text;
        }

        if ((attr & TokenAttributes.Normal) != 0)
        {
            return Bpe is null ? UnescapeWhitespace(text) : DecodeByteLevel(text);
        }

        if ((attr & TokenAttributes.Byte) != 0)
        {
            return [TokenToByte(token)];
        }

        // Unused or undefined tokens render as nothing.
        return [];
    }

    /// <summary>
    /// llama.cpp's <c>token_to_byte</c>: <c>strtol(text.substr(3, 2), 16)</c>, so "&lt;0x0A&gt;" is 10. The same C
    /// parsing rules apply to odd byte-token texts (leading blanks, a sign, no digits giving 0).
    /// </summary>
    private byte TokenToByte(int token)
    {
        var text = _text[token];
        if (text.Length < 3)
        {
            throw new VocabularyException(SourcePath, $"byte token {token} '{Tokens[token]}' is too short to hold <0xXX>");
        }

        var digits = text.AsSpan(3, Math.Min(2, text.Length - 3));
        var i = 0;
        while (i < digits.Length && IsCSpace(digits[i]))
        {
            i++;
        }

        var negative = false;
        if (i < digits.Length && digits[i] is (byte)'+' or (byte)'-')
        {
            negative = digits[i] == '-';
            i++;
        }

        var value = 0;
        for (; i < digits.Length && HexValue(digits[i]) is var d and >= 0; i++)
        {
            value = value * 16 + d;
        }

        return unchecked((byte)(negative ? -value : value));
    }

    /// <summary>
    /// A BPE token's text back to the bytes it stands for (llama_decode_text). A character that stands for no byte
    /// is spelled out the way llama.cpp does it: "[UNK_BYTE_0x" + its UTF-8 in hex + the whole token text + "]".
    /// </summary>
    private static byte[] DecodeByteLevel(byte[] text)
    {
        var result = new List<byte>(text.Length);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var cpt in Codepoints.FromUtf8(text))
        {
            if (ByteLevel.TryDecode(cpt, out var value))
            {
                result.Add(value);
                continue;
            }

            var n = Codepoints.ToUtf8(cpt, utf8);
            result.AddRange("[UNK_BYTE_0x"u8);
            foreach (var b in utf8[..n])
            {
                result.AddRange(Encoding.ASCII.GetBytes(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
            }

            result.AddRange(text);
            result.Add((byte)']');
        }

        return [.. result];
    }

    /// <summary>▁ (U+2581) back to a space, as llama_unescape_whitespace does.</summary>
    private static byte[] UnescapeWhitespace(byte[] text)
    {
        if (text.AsSpan().IndexOf(SpaceMarkerUtf8) < 0)
        {
            return text;
        }

        var result = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text.AsSpan(i).StartsWith(SpaceMarkerUtf8))
            {
                result.Add((byte)' ');
                i += SpaceMarkerUtf8.Length - 1;
            }
            else
            {
                result.Add(text[i]);
            }
        }

        return [.. result];
    }

    /// <summary>C's <c>isspace</c> in the "C" locale: space, \t, \n, \v, \f, \r.</summary>
    internal static bool IsCSpace(byte c) => c == ' ' || (c >= '\t' && c <= '\r');

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}

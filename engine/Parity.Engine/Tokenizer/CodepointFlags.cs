using System.Globalization;

namespace Parity.Engine.Tokenizer;

/// <summary>
/// llama.cpp's <c>unicode_cpt_flags</c>: one general category per code point (collapsed to the letters of
/// <c>\p{L}</c>, <c>\p{N}</c>, ...) plus the White_Space property. Unassigned code points are <see cref="Undefined"/>,
/// not zero: llama.cpp's pre-tokenizers use "no flags at all" to mean "past the end of the text".
/// </summary>
[Flags]
internal enum CodepointFlags : ushort
{
    None = 0,
    Undefined = 0x0001,
    Number = 0x0002,
    Letter = 0x0004,
    Separator = 0x0008,
    Mark = 0x0010,
    Punctuation = 0x0020,
    Symbol = 0x0040,
    Control = 0x0080,
    Categories = 0x00FF,
    Whitespace = 0x0100,
}

/// <summary>Looks up <see cref="CodepointFlags"/>; the categories come from .NET's Unicode tables.</summary>
internal static class Codepoints
{
    /// <summary>U+FFFD, what llama.cpp decodes every invalid UTF-8 byte to.</summary>
    public const int Replacement = 0xFFFD;

    // Every code point below 0x10000 is looked up once; the supplementary planes are rare enough to ask each time.
    private static readonly CodepointFlags[] Bmp = BuildBmp();

    public static CodepointFlags Flags(int codepoint) =>
        (uint)codepoint < (uint)Bmp.Length ? Bmp[codepoint] : Compute(codepoint);

    public static bool Is(int codepoint, CodepointFlags flag) => (Flags(codepoint) & flag) != 0;

    /// <summary>
    /// Decodes UTF-8 like <c>unicode_cpts_from_utf8</c>: an invalid or truncated sequence gives one U+FFFD and
    /// decoding resumes at the next byte. Overlong forms and surrogates are accepted as llama.cpp accepts them.
    /// </summary>
    public static int[] FromUtf8(ReadOnlySpan<byte> utf8)
    {
        var result = new int[utf8.Length];
        var n = 0;
        var offset = 0;
        while (offset < utf8.Length)
        {
            result[n++] = Decode(utf8, ref offset);
        }

        return result[..n];
    }

    /// <summary>Appends the UTF-8 bytes of <paramref name="codepoint"/> (llama.cpp's <c>unicode_cpt_to_utf8</c>).</summary>
    public static int ToUtf8(int codepoint, Span<byte> output)
    {
        switch (codepoint)
        {
            case <= 0x7F:
                output[0] = (byte)codepoint;
                return 1;
            case <= 0x7FF:
                output[0] = (byte)(0xC0 | (codepoint >> 6));
                output[1] = (byte)(0x80 | (codepoint & 0x3F));
                return 2;
            case <= 0xFFFF:
                output[0] = (byte)(0xE0 | (codepoint >> 12));
                output[1] = (byte)(0x80 | ((codepoint >> 6) & 0x3F));
                output[2] = (byte)(0x80 | (codepoint & 0x3F));
                return 3;
            default:
                output[0] = (byte)(0xF0 | (codepoint >> 18));
                output[1] = (byte)(0x80 | ((codepoint >> 12) & 0x3F));
                output[2] = (byte)(0x80 | ((codepoint >> 6) & 0x3F));
                output[3] = (byte)(0x80 | (codepoint & 0x3F));
                return 4;
        }
    }

    private static int Decode(ReadOnlySpan<byte> s, ref int offset)
    {
        var b = s[offset];
        var (length, bits) = b switch
        {
            < 0x80 => (1, b),
            < 0xC0 => (0, 0),
            < 0xE0 => (2, b & 0x1F),
            < 0xF0 => (3, b & 0x0F),
            < 0xF8 => (4, b & 0x07),
            _ => (0, 0),
        };
        if (length == 0 || offset + length > s.Length)
        {
            offset++;
            return Replacement;
        }

        var value = bits;
        for (var i = 1; i < length; i++)
        {
            if ((s[offset + i] & 0xC0) != 0x80)
            {
                offset++;
                return Replacement;
            }

            value = (value << 6) | (s[offset + i] & 0x3F);
        }

        offset += length;
        return value;
    }

    private static CodepointFlags[] BuildBmp()
    {
        var table = new CodepointFlags[0x10000];
        for (var c = 0; c < table.Length; c++)
        {
            table[c] = Compute(c);
        }

        return table;
    }

    private static CodepointFlags Compute(int codepoint)
    {
        if (codepoint > 0x10FFFF)
        {
            // A 4-byte sequence can spell values past Unicode; llama.cpp's table ends there and calls them undefined.
            return CodepointFlags.Undefined;
        }

        var flags = Category(CharUnicodeInfo.GetUnicodeCategory(codepoint));
        return IsWhitespace(codepoint) ? flags | CodepointFlags.Whitespace : flags;
    }

    private static CodepointFlags Category(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => CodepointFlags.Letter,
        UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => CodepointFlags.Mark,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => CodepointFlags.Number,
        UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
            or UnicodeCategory.OtherPunctuation => CodepointFlags.Punctuation,
        UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol => CodepointFlags.Symbol,
        UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => CodepointFlags.Separator,
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate => CodepointFlags.Control,
        _ => CodepointFlags.Undefined,
    };

    /// <summary>Unicode's White_Space property, the list llama.cpp's tables are generated from (not category Z).</summary>
    private static bool IsWhitespace(int c) =>
        c is (>= 0x09 and <= 0x0D) or 0x20 or 0x85 or 0xA0 or 0x1680 or (>= 0x2000 and <= 0x200A) or 0x2028 or 0x2029 or 0x202F or 0x205F or 0x3000;
}

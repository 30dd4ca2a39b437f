using System.Text;
using System.Text.RegularExpressions;

namespace Parity.Engine.Tokenizer;

/// <summary>
/// One of llama.cpp's pre-tokenizer regexes run the way <c>unicode_regex_split</c> runs it through std::regex
/// (ECMAScript grammar, "C" locale: <c>\s</c> and <c>\d</c> are ASCII only). Two modes, as in llama.cpp:
/// <list type="bullet">
/// <item>A regex using <c>\p{L}</c>, <c>\p{N}</c>, <c>\p{P}</c>, <c>\p{M}</c>, <c>\p{S}</c> (or <c>\p{Lu}</c> and
/// friends, which llama.cpp treats as <c>\p{L}</c>) runs on a "collapsed" text: ASCII stays, every other code point
/// becomes one stand-in character for its category (0xD1 number, 0xD2 letter, 0xD3 punctuation, 0xD4 mark,
/// 0xD5 symbol, 0xD0 anything else) or 0x0B if it is whitespace; <c>\p{X}</c> becomes a class of its stand-in plus
/// the ASCII members of the category.</item>
/// <item>Any other regex runs on the code points themselves, with non-ASCII whitespace replaced by 0x0B. .NET strings
/// are UTF-16, so code points beyond U+FFFF are renamed to surrogate code units (which valid text never holds),
/// one per stretch the regex's own literals and ranges distinguish.</item>
/// </list>
/// .NET's <see cref="RegexOptions.ECMAScript"/> gives the same ASCII-only <c>\s</c>, <c>\S</c> and <c>\d</c>.
/// </summary>
internal sealed class RegexSplitter
{
    private const char Whitespace = '\u000B';
    private const int FirstStandIn = 0xD800;

    private static readonly string[] CategoryNames = [@"\p{N}", @"\p{L}", @"\p{P}", @"\p{M}", @"\p{S}", @"\p{Lu}", @"\p{Ll}", @"\p{Lt}", @"\p{Lm}", @"\p{Lo}"];

    private readonly Regex _regex;
    private readonly bool _collapsed;
    private readonly int[] _supplementaryStarts;

    public RegexSplitter(string pattern)
    {
        Pattern = pattern;
        _collapsed = CategoryNames.Any(c => pattern.Contains(c, StringComparison.Ordinal));
        _supplementaryStarts = _collapsed ? [] : SupplementaryStarts(pattern);
        var translated = _collapsed ? CollapsePattern(pattern) : RenamePattern(pattern, _supplementaryStarts);
        _regex = new Regex(ReplaceEndAnchor(translated), RegexOptions.ECMAScript | RegexOptions.CultureInvariant);
    }

    /// <summary>The regex as llama.cpp writes it.</summary>
    public string Pattern { get; }

    /// <summary>The text this regex matches on: one UTF-16 unit per code point.</summary>
    public string Prepare(int[] cpts)
    {
        var chars = new char[cpts.Length];
        for (var i = 0; i < cpts.Length; i++)
        {
            chars[i] = _collapsed ? Collapse(cpts[i]) : Rename(cpts[i]);
        }

        return new string(chars);
    }

    /// <summary>
    /// Splits every segment into matches and the gaps between them, as llama.cpp's <c>unicode_regex_split_stl</c>
    /// does (a match is searched for within one segment only, so anchors and lookaheads see the segment's end).
    /// </summary>
    public List<int> Split(string text, List<int> segments)
    {
        var output = new List<int>(segments.Count);
        var start = 0;
        foreach (var length in segments)
        {
            var done = 0;
            for (var m = _regex.Match(text, start, length); m.Success; m = m.NextMatch())
            {
                var position = m.Index - start;
                if (position > done)
                {
                    output.Add(position - done);
                }

                output.Add(m.Length);
                done = position + m.Length;
            }

            if (done < length)
            {
                output.Add(length - done);
            }

            start += length;
        }

        return output;
    }

    private static char Collapse(int cpt)
    {
        if (cpt < 128)
        {
            return (char)cpt;
        }

        var flags = Codepoints.Flags(cpt);
        return (flags & CodepointFlags.Whitespace) != 0 ? Whitespace : StandIn(flags & CodepointFlags.Categories);
    }

    private static char StandIn(CodepointFlags category) => category switch
    {
        CodepointFlags.Number => '\u00D1',
        CodepointFlags.Letter => '\u00D2',
        CodepointFlags.Punctuation => '\u00D3',
        CodepointFlags.Mark => '\u00D4',
        CodepointFlags.Symbol => '\u00D5',
        _ => '\u00D0',
    };

    /// <summary>The ASCII members of each category, as llama.cpp lists them next to the stand-in.</summary>
    private static string AsciiMembers(CodepointFlags category) => category switch
    {
        CodepointFlags.Number => "0-9",
        CodepointFlags.Letter => "A-Za-z",
        CodepointFlags.Punctuation => @"!-#%-*,-/:-;?-@\[-\]_\{\}",
        CodepointFlags.Symbol => @"\$\+<->^`\|\~",
        _ => string.Empty,
    };

    private static CodepointFlags CategoryOf(string name) => name[3] switch
    {
        'N' => CodepointFlags.Number,
        'P' => CodepointFlags.Punctuation,
        'M' => CodepointFlags.Mark,
        'S' => CodepointFlags.Symbol,
        _ => CodepointFlags.Letter,
    };

    /// <summary>
    /// llama.cpp's rewrite of a category regex: <c>\p{X}</c> becomes <c>[stand-in + ASCII members]</c>, without the
    /// brackets inside a class. It tracks "inside a class" the same simple way (a bracket not preceded by a backslash).
    /// </summary>
    private static string CollapsePattern(string pattern)
    {
        if (pattern.Any(c => c >= 128))
        {
            throw new ArgumentException($"regex '{pattern}' mixes Unicode categories with non-ASCII characters, which llama.cpp rejects", nameof(pattern));
        }

        var result = new StringBuilder(pattern.Length * 2);
        var inside = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            var escaped = i > 0 && pattern[i - 1] == '\\';
            if (c == '[' && !escaped)
            {
                inside = true;
            }
            else if (c == ']' && inside && !escaped)
            {
                inside = false;
            }
            else if (CategoryAt(pattern, i) is { } name)
            {
                var category = CategoryOf(name);
                result.Append(inside ? string.Empty : "[").Append(StandIn(category)).Append(AsciiMembers(category)).Append(inside ? string.Empty : "]");
                i += name.Length - 1;
                continue;
            }

            result.Append(c);
        }

        return result.ToString();
    }

    private static string? CategoryAt(string pattern, int i) =>
        CategoryNames.FirstOrDefault(name => string.CompareOrdinal(pattern, i, name, 0, name.Length) == 0);

    /// <summary>
    /// std::regex's <c>$</c> matches only at the end of the text; .NET's also before a final newline, so it becomes
    /// "nothing follows".
    /// </summary>
    private static string ReplaceEndAnchor(string pattern)
    {
        var result = new StringBuilder(pattern.Length);
        var inside = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            var escaped = i > 0 && pattern[i - 1] == '\\' && (i < 2 || pattern[i - 2] != '\\');
            inside = c switch
            {
                '[' when !escaped => true,
                ']' when !escaped => false,
                _ => inside,
            };
            result.Append(c == '$' && !escaped && !inside ? @"(?![\s\S])" : c.ToString());
        }

        return result.ToString();
    }

    private char Rename(int cpt)
    {
        if (cpt > 0x7F && (Codepoints.Flags(cpt) & CodepointFlags.Whitespace) != 0)
        {
            return Whitespace;
        }

        if (cpt < 0x10000)
        {
            return (char)cpt;
        }

        var index = Array.BinarySearch(_supplementaryStarts, cpt);
        return (char)(FirstStandIn + (index >= 0 ? index : ~index - 1));
    }

    /// <summary>
    /// Where the stretches of supplementary code points begin: at U+10000, at every such code point the regex
    /// names, and just after it, so each literal and each range end falls on a stretch boundary.
    /// </summary>
    private static int[] SupplementaryStarts(string pattern)
    {
        var named = pattern.EnumerateRunes().Where(r => r.Value >= 0x10000).Select(r => r.Value).ToList();
        var starts = named.Concat(named.Select(c => c + 1)).Append(0x10000).Where(c => c <= 0x10FFFF).Distinct().Order().ToArray();
        return starts.Length <= 0x800 ? starts : throw new ArgumentException($"regex '{pattern}' names too many supplementary code points", nameof(pattern));
    }

    private static string RenamePattern(string pattern, int[] starts)
    {
        var runes = pattern.EnumerateRunes().Select(r => r.Value).ToArray();
        for (var i = 2; i < runes.Length; i++)
        {
            // The renamed code points live in the surrogate block, so a range reaching into it would match them too.
            if (runes[i - 1] == '-' && runes[i - 2] <= 0xDFFF && runes[i] is >= 0xD800 and < 0x10000)
            {
                throw new ArgumentException($"regex '{pattern}' has a range into the surrogate block, which the renaming of supplementary code points cannot express", nameof(pattern));
            }
        }

        var result = new StringBuilder(pattern.Length);
        foreach (var c in runes)
        {
            result.Append(c < 0x10000 ? ((char)c).ToString() : Escape(FirstStandIn + Array.BinarySearch(starts, c)));
        }

        return result.ToString();
    }

    private static string Escape(int unit) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"\\u{unit:X4}");
}

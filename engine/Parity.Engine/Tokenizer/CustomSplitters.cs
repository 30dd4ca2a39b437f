namespace Parity.Engine.Tokenizer;

/// <summary>
/// llama.cpp's hand-written splitters for the GPT-2 and Llama 3 regexes (<c>unicode_regex_split_custom_gpt2</c> and
/// <c>_llama3</c>). llama.cpp uses them instead of std::regex whenever a pre-tokenizer's regex is exactly one of those
/// two, so their quirks are the behaviour to match: a space before a non-letter, non-digit, non-space run only joins
/// it when something follows, and <c>\s+(?!\S)</c> is decided by "is there a next code point", not by what it is.
/// Each works on the code points of every current segment separately and returns the new segment lengths.
/// </summary>
internal static class CustomSplitters
{
    private const int OutOfRange = -1;
    private const CodepointFlags WordLike = CodepointFlags.Whitespace | CodepointFlags.Letter | CodepointFlags.Number;

    public static List<int> Gpt2(int[] cpts, List<int> segments) => Split(cpts, segments, Gpt2Segment);

    public static List<int> Llama3(int[] cpts, List<int> segments) => Split(cpts, segments, Llama3Segment);

    private static List<int> Split(int[] cpts, List<int> segments, Action<Segment> split)
    {
        var output = new List<int>(segments.Count);
        var segment = new Segment(cpts, output);
        var start = 0;
        foreach (var length in segments)
        {
            split(segment.Reset(start, start + length));
            start += length;
        }

        return output;
    }

    // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
    private static void Gpt2Segment(Segment s)
    {
        var pos = s.Start;
        while (pos < s.End)
        {
            var cpt = s.Cpt(pos);
            var flags = s.Flags(pos);
            if (s.Contraction(pos, caseInsensitive: false) is var n and > 0)
            {
                pos = s.Add(pos + n);
                continue;
            }

            var flags2 = cpt == ' ' ? s.Flags(pos + 1) : flags;
            var skip = cpt == ' ' ? 1 : 0;
            if (Has(flags2, CodepointFlags.Letter) || Has(flags2, CodepointFlags.Number))
            {
                var kind = Has(flags2, CodepointFlags.Letter) ? CodepointFlags.Letter : CodepointFlags.Number;
                pos += skip;
                while (Has(s.Flags(pos), kind))
                {
                    pos++;
                }

                pos = s.Add(pos);
                continue;
            }

            if (IsOther(flags2))
            {
                pos += skip;
                while (IsOther(s.Flags(pos)))
                {
                    pos++;
                }

                pos = s.Add(pos);
                continue;
            }

            pos = s.Add(Whitespace(s, pos, newlines: false));
        }
    }

    // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
    private static void Llama3Segment(Segment s)
    {
        var pos = s.Start;
        while (pos < s.End)
        {
            var cpt = s.Cpt(pos);
            var flags = s.Flags(pos);
            if (s.Contraction(pos, caseInsensitive: true) is var n and > 0)
            {
                pos = s.Add(pos + n);
                continue;
            }

            if (!(cpt is '\r' or '\n' || Has(flags, CodepointFlags.Number))
                && (Has(flags, CodepointFlags.Letter) || Has(s.Flags(pos + 1), CodepointFlags.Letter)))
            {
                pos++;
                while (Has(s.Flags(pos), CodepointFlags.Letter))
                {
                    pos++;
                }

                pos = s.Add(pos);
                continue;
            }

            if (Has(flags, CodepointFlags.Number))
            {
                pos = Digits(s, pos);
                continue;
            }

            // llama.cpp tests the first code point's flags here, not the one after the space.
            var flags2 = cpt == ' ' ? s.Flags(pos + 1) : flags;
            if ((flags2 & WordLike) == 0 && flags != CodepointFlags.None)
            {
                pos += cpt == ' ' ? 1 : 0;
                while (IsOther(s.Flags(pos)))
                {
                    pos++;
                }

                while (s.Cpt(pos) is '\r' or '\n')
                {
                    pos++;
                }

                pos = s.Add(pos);
                continue;
            }

            pos = s.Add(Whitespace(s, pos, newlines: true));
        }
    }

    /// <summary>\p{N}{1,3} repeated: runs of digits in groups of three.</summary>
    private static int Digits(Segment s, int pos)
    {
        var groupStart = pos;
        while (Has(s.Flags(pos), CodepointFlags.Number))
        {
            if (++pos - groupStart >= 3)
            {
                s.Add(pos);
                groupStart = pos;
            }
        }

        return s.Add(pos);
    }

    /// <summary>
    /// The whitespace alternatives: <c>\s*[\r\n]+</c> (Llama 3 only) up to the last line break of the run, else
    /// <c>\s+(?!\S)</c> leaving the last space for the next word, else <c>\s+</c>; a code point matching nothing
    /// becomes a word of its own.
    /// </summary>
    private static int Whitespace(Segment s, int pos, bool newlines)
    {
        var count = 0;
        var lastLineBreakEnd = 0;
        while (Has(s.Flags(pos + count), CodepointFlags.Whitespace))
        {
            if (newlines && s.Cpt(pos + count) is '\r' or '\n')
            {
                lastLineBreakEnd = pos + count + 1;
            }

            count++;
        }

        if (lastLineBreakEnd > 0)
        {
            return lastLineBreakEnd;
        }

        if (count > 1 && s.Cpt(pos + count) != OutOfRange)
        {
            return pos + count - 1;
        }

        return count > 0 ? pos + count : pos + 1;
    }

    private static bool Has(CodepointFlags flags, CodepointFlags flag) => (flags & flag) != 0;

    /// <summary>[^\s\p{L}\p{N}] inside the segment (no flags at all means past its end).</summary>
    private static bool IsOther(CodepointFlags flags) => (flags & WordLike) == 0 && flags != CodepointFlags.None;

    /// <summary>One segment's code points, the end of the last word, and the word lengths being produced.</summary>
    private sealed class Segment(int[] cpts, List<int> output)
    {
        private int _previousEnd;

        public int Start { get; private set; }

        public int End { get; private set; }

        public Segment Reset(int start, int end)
        {
            Start = start;
            End = end;
            _previousEnd = start;
            return this;
        }

        public int Cpt(int pos) => pos >= Start && pos < End ? cpts[pos] : OutOfRange;

        public CodepointFlags Flags(int pos) => pos >= Start && pos < End ? Codepoints.Flags(cpts[pos]) : CodepointFlags.None;

        /// <summary>Ends a word at <paramref name="end"/> (an empty word is not emitted); returns <paramref name="end"/>.</summary>
        public int Add(int end)
        {
            if (end > _previousEnd)
            {
                output.Add(end - _previousEnd);
            }

            _previousEnd = end;
            return end;
        }

        /// <summary>Length of a contraction ('s 't 'm 'd 're 've 'll) at <paramref name="pos"/>, or 0.</summary>
        public int Contraction(int pos, bool caseInsensitive)
        {
            if (Cpt(pos) != '\'' || pos + 1 >= End)
            {
                return 0;
            }

            var next = Lower(Cpt(pos + 1), caseInsensitive);
            if (next is 's' or 't' or 'm' or 'd')
            {
                return 2;
            }

            if (pos + 2 >= End)
            {
                return 0;
            }

            var nextNext = Lower(Cpt(pos + 2), caseInsensitive);
            return (next, nextNext) is ('r', 'e') or ('v', 'e') or ('l', 'l') ? 3 : 0;
        }

        /// <summary>
        /// unicode_tolower, restricted to what can matter here: only the ASCII capitals lower-case to the letters of a
        /// contraction.
        /// </summary>
        private static int Lower(int cpt, bool caseInsensitive) => caseInsensitive && cpt is >= 'A' and <= 'Z' ? cpt + 32 : cpt;
    }
}

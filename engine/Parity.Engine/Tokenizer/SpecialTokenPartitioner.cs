namespace Parity.Engine.Tokenizer;

/// <summary>
/// llama.cpp's <c>tokenizer_st_partition</c>: before any merging, cut the raw text at every occurrence of a special
/// token's text, so the token is emitted as itself. Special tokens are tried longest first, each over the text
/// fragments the earlier ones left. Without <c>parse_special</c> control and unknown tokens (<c>&lt;s&gt;</c>,
/// <c>&lt;unk&gt;</c>) are not looked for, but user-defined tokens still are. A token with lstrip (rstrip) eats the
/// C-locale whitespace just before (after) each occurrence. Matching is on raw bytes.
/// </summary>
internal static class SpecialTokenPartitioner
{
    public static List<TextFragment> Partition(Vocabulary vocab, ReadOnlySpan<byte> text, bool parseSpecial)
    {
        var fragments = new List<TextFragment>();
        if (text.IsEmpty)
        {
            return fragments;
        }

        fragments.Add(TextFragment.Text(0, text.Length));
        foreach (var special in vocab.SpecialTokens)
        {
            var attr = vocab.Attributes[special];
            if (!parseSpecial && (attr & (TokenAttributes.Control | TokenAttributes.Unknown)) != 0)
            {
                continue;
            }

            var needle = vocab.TextBytes(special);
            if (!Occurs(text, fragments, needle))
            {
                continue;
            }

            var next = new List<TextFragment>(fragments.Count + 2);
            foreach (var fragment in fragments)
            {
                if (fragment.IsText)
                {
                    Split(text, fragment, special, needle, attr, next);
                }
                else
                {
                    next.Add(fragment);
                }
            }

            fragments = next;
        }

        return fragments;
    }

    /// <summary>Whether any text fragment contains the token, so the common case (no occurrence) allocates nothing.</summary>
    private static bool Occurs(ReadOnlySpan<byte> text, List<TextFragment> fragments, ReadOnlySpan<byte> needle)
    {
        foreach (var f in fragments)
        {
            if (f.IsText && text.Slice(f.Offset, f.Length).IndexOf(needle) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    private static void Split(ReadOnlySpan<byte> text, TextFragment fragment, int special, ReadOnlySpan<byte> needle, TokenAttributes attr, List<TextFragment> output)
    {
        var start = fragment.Offset;
        var end = fragment.Offset + fragment.Length;
        while (start < end)
        {
            var found = text[start..end].IndexOf(needle);
            if (found < 0)
            {
                break;
            }

            var match = start + found;
            var leftLength = match - start;
            if ((attr & TokenAttributes.LStrip) != 0)
            {
                while (leftLength > 0 && Vocabulary.IsCSpace(text[start + leftLength - 1]))
                {
                    leftLength--;
                }
            }

            if (leftLength > 0)
            {
                output.Add(TextFragment.Text(start, leftLength));
            }

            output.Add(TextFragment.Special(special));
            start = match + needle.Length;
            if ((attr & TokenAttributes.RStrip) != 0)
            {
                while (start < end && Vocabulary.IsCSpace(text[start]))
                {
                    start++;
                }
            }
        }

        if (start < end)
        {
            output.Add(TextFragment.Text(start, end - start));
        }
    }
}

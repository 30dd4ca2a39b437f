namespace Parity.Engine.Tokenizer;

/// <summary>
/// llama.cpp's <c>clean_spaces</c> pass at the end of <c>llama_detokenize</c> (Hugging Face's
/// clean_up_tokenization_spaces), three passes over the bytes in place, kept exactly as written there: " ?", " !",
/// " .", " ," lose the space; a lone apostrophe between spaces loses both (and the byte after it is overwritten,
/// which the next comparison sees); " 's", " 'm", " 're", " 've" lose the space, " 't", " 'd", " 'll" keep it.
/// </summary>
internal static class SpaceCleaner
{
    public static byte[] Clean(byte[] text)
    {
        var total = BeforePunctuation(text, text.Length);
        total = LoneApostrophes(text, total);
        total = Contractions(text, total);
        return text[..total];
    }

    private static int BeforePunctuation(byte[] text, int length)
    {
        var total = length > 0 ? 1 : 0;
        for (var i = 1; i < length; i++)
        {
            var x = text[i];
            if (text[i - 1] == ' ' && x is (byte)'?' or (byte)'!' or (byte)'.' or (byte)',')
            {
                total--;
            }

            text[total++] = x;
        }

        return total;
    }

    private static int LoneApostrophes(byte[] text, int length)
    {
        var total = length > 0 ? 1 : 0;
        for (var i = 1; i < length; i++)
        {
            var x = text[i];
            if (x == '\'' && i + 1 < length && text[i - 1] == ' ' && text[i + 1] == ' ')
            {
                total--;
                text[++i] = 0;
            }

            text[total++] = x;
        }

        return total;
    }

    private static int Contractions(byte[] text, int length)
    {
        var total = length > 0 ? 1 : 0;
        for (var i = 1; i < length; i++)
        {
            var x = text[i];
            if (text[i - 1] == ' ' && x == '\'' && i + 1 < length && DropsSpace(text, i, length))
            {
                total--;
            }

            text[total++] = x;
        }

        return total;
    }

    /// <summary>Whether the contraction starting at the apostrophe <paramref name="i"/> takes the space before it away.</summary>
    private static bool DropsSpace(byte[] text, int i, int length)
    {
        var x1 = text[i + 1];
        if (x1 is (byte)'s' or (byte)'m')
        {
            return true;
        }

        if (x1 is (byte)'t' or (byte)'d' || i + 2 >= length)
        {
            return false;
        }

        var x2 = text[i + 2];
        return (x1, x2) is ((byte)'r', (byte)'e') or ((byte)'v', (byte)'e');
    }
}

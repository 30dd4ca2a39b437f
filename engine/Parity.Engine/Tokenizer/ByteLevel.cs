namespace Parity.Engine.Tokenizer;

/// <summary>
/// GPT-2's byte-to-unicode table (llama.cpp's <c>unicode_byte_to_utf8</c> / <c>unicode_utf8_to_byte</c>): printable
/// Latin-1 bytes stand for themselves, the other 68 bytes for U+0100 onwards in byte order, so every byte has a
/// visible character and byte-level BPE vocabularies can be stored as text.
/// </summary>
internal static class ByteLevel
{
    private static readonly int[] ByteToCodepoint = BuildByteToCodepoint();
    private static readonly byte[][] ByteToUtf8 = [.. ByteToCodepoint.Select(Utf8Of)];
    private static readonly Dictionary<int, byte> CodepointToByte = Enumerable.Range(0, 256).ToDictionary(b => ByteToCodepoint[b], b => (byte)b);

    /// <summary>The UTF-8 bytes of the character that stands for <paramref name="value"/>.</summary>
    public static ReadOnlySpan<byte> Encode(byte value) => ByteToUtf8[value];

    /// <summary>The byte a character stands for, or false if it stands for none.</summary>
    public static bool TryDecode(int codepoint, out byte value) => CodepointToByte.TryGetValue(codepoint, out value);

    private static int[] BuildByteToCodepoint()
    {
        var map = new int[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is (>= 0x21 and <= 0x7E) or (>= 0xA1 and <= 0xAC) or (>= 0xAE and <= 0xFF);
            map[b] = printable ? b : next++;
        }

        return map;
    }

    private static byte[] Utf8Of(int codepoint)
    {
        Span<byte> buffer = stackalloc byte[4];
        return buffer[..Codepoints.ToUtf8(codepoint, buffer)].ToArray();
    }
}

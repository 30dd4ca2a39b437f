using System.Text;
using Parity.Harness.Synthetic;

namespace Parity.Engine.Tests.Tokenizer;

/// <summary>
/// Deterministic texts for comparing byte-level BPE with llama.cpp, as UTF-8 bytes: hand-picked cases for each
/// pre-tokenizer rule, then generated mixes of scripts, emoji (with ZWJ sequences), whitespace runs, digit runs,
/// code, contractions and the vocabulary's own special tokens; a few carry invalid UTF-8 on purpose.
/// </summary>
internal static class BpeCorpus
{
    private static readonly string[] Cases =
    [
        string.Empty, " ", "  ", "\n", "\n\n\n", "\t", " \t \n", "a ", "a  ", "a   b", " a", "\u00A0x", "x\u3000y", "\r\n\r\n",
        "Hello world", "Hello, world!", "It's what they'll say: we're done, I'd think, I'm sure, you've seen.",
        "IT'S WE'RE THEY'LL I'M YOU'VE HE'D DON'T", "'s 't 're 've 'm 'll 'd", "x's y'S z'Ll", "'", "''", " ' ", "a ' b",
        "123", "1234567", "3.14159", "1,000,000", "\u0661\u0662\u0663\u0664", "\uFF11\uFF12\uFF13", "x\u00B2 \u00BD \u216B", "12ab34",
        "\u4E2D\u6587\u5B57\u7B26", "\u65E5\u672C\u8A9E\u306E\u30C6\u30AD\u30B9\u30C8", "\uD55C\uAD6D\uC5B4 \uD14D\uC2A4\uD2B8",
        "\u0627\u0644\u0639\u0631\u0628\u064A\u0629", "\u0939\u093F\u0928\u094D\u0926\u0940", "\u0440\u0443\u0441\u0441\u043A\u0438\u0439 \u0442\u0435\u043A\u0441\u0442",
        "\u0E20\u0E32\u0E29\u0E32\u0E44\u0E17\u0E22", "\u05E2\u05D1\u05E8\u05D9\u05EA", "\u0395\u03BB\u03BB\u03B7\u03BD\u03B9\u03BA\u03AC",
        "e\u0301e\u0300", "\U0001F999", "\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466", "\U0001F44D\U0001F3FD", "\U0001F1FA\U0001F1F8",
        "\U00010400\U0001E900 \U0001D400", "def f(x):\n    return x ** 2\n", "if (a != b) { c += 1; }", "<div class=\"x\">&amp;</div>",
        "    indented\n\ttabbed\n", "trailing   ", "~~~ $$$ +++ ^^^ ``` |||", "\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C", "IMGIMGABZ <sentinel:12>",
        "\u00FF\u0100\u0101", "\u2581x\u2581", "\uFFFD", "\u0000x", "\u007F",
    ];

    private static readonly string[] Scripts =
    [
        "hello", "World", "the", "tokenizer", "Mississippi", "caf\u00E9", "na\u00EFve", "\u00DCbung", "\u4E2D\u6587", "\u6211\u60F3\u5403",
        "\u3072\u3089\u304C\u306A", "\u30AB\u30BF\u30AB\u30CA", "\uD55C\uAE00", "\u0645\u0631\u062D\u0628\u0627", "\u0928\u092E\u0938\u094D\u0924\u0947",
        "\u043F\u0440\u0438\u0432\u0435\u0442", "\u0421\u041B\u041E\u0412\u041E", "\u0E2A\u0E27\u0E31\u0E2A\u0E14\u0E35", "\u05E9\u05DC\u05D5\u05DD",
        "\u03B1\u03B2\u03B3", "\u1780\u17B6\u1793\u17CB", "C\u1EEDa", "\u0915\u094D\u0937", "\u00E5\u00E6\u00F8", "\u0130stanbul", "\u00DF",
    ];

    private static readonly string[] Emoji =
    [
        "\U0001F600", "\U0001F680", "\u2705", "\u2764\uFE0F", "\U0001F468\u200D\U0001F4BB", "\U0001F3F3\uFE0F\u200D\U0001F308",
        "\U0001F636\u200D\U0001F32B\uFE0F", "\U0001F44B\U0001F3FF", "\U0001F1EF\U0001F1F5", "\u00A9", "\u2122",
    ];

    private static readonly string[] Numbers = ["0", "7", "42", "123", "2024", "1234567", "3.14", "-5", "1e10", "\u0663\u0664", "\uFF15", "\u00BE", "\u2167"];

    private static readonly string[] Code = ["x = y + 1;", "foo(bar)", "a->b", "i++", "//", "/* c */", "#include <stdio.h>", "{}", "[]", "==", "!==", "<<=", "0xFF", "snake_case", "camelCase"];

    private static readonly string[] Contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'VE", "'M", "'LL", "'D", "'x", "n't"];

    private static readonly string[] Punctuation = [".", ",", "!", "?", ":", ";", "...", "!!", "\"", "(", ")", "-", "--", "\u2014", "\u00BF", "\u00AB", "\u00BB", "\u3002", "\uFF01"];

    private static readonly string[] Spaces = [" ", " ", " ", "  ", "   ", "    ", "\t", "\t\t", "\n", "\n\n", "\r\n", " \n", "\n ", " \t\n ", "\u00A0", "\u3000", "\u2009", ""];

    /// <summary><paramref name="count"/> texts: the fixed cases, then generated ones using <paramref name="specials"/>.</summary>
    public static IReadOnlyList<byte[]> Texts(int count, ulong seed, IReadOnlyList<string> specials)
    {
        var result = Cases.Take(count).Select(Encoding.UTF8.GetBytes).ToList();
        var rng = new Xoshiro256StarStar(seed);
        while (result.Count < count)
        {
            result.Add(Generate(ref rng, specials));
        }

        return result;
    }

    private static byte[] Generate(ref Xoshiro256StarStar rng, IReadOnlyList<string> specials)
    {
        var text = new StringBuilder();
        var parts = 1 + rng.NextInt(10);
        for (var i = 0; i < parts; i++)
        {
            text.Append(rng.NextInt(3) == 0 ? Pick(ref rng, Spaces) : i > 0 ? " " : string.Empty);
            text.Append(rng.NextInt(12) switch
            {
                < 4 => Pick(ref rng, Scripts),
                4 => Pick(ref rng, Emoji),
                5 => Pick(ref rng, Numbers),
                6 => Pick(ref rng, Code),
                7 => Pick(ref rng, Scripts) + Pick(ref rng, Contractions),
                8 => Pick(ref rng, Scripts) + Pick(ref rng, Punctuation),
                9 => Pick(ref rng, Punctuation) + Pick(ref rng, Scripts),
                _ => specials.Count > 0 ? specials[rng.NextInt(specials.Count)] : "<|endoftext|>",
            });
        }

        if (rng.NextInt(4) == 0)
        {
            text.Append(Pick(ref rng, Spaces));
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        return rng.NextInt(25) == 0 ? Corrupt(bytes, ref rng) : bytes;
    }

    /// <summary>A stray continuation byte, a truncated sequence or a byte no UTF-8 uses, somewhere in the text.</summary>
    private static byte[] Corrupt(byte[] bytes, ref Xoshiro256StarStar rng)
    {
        byte[] bad = rng.NextInt(3) switch { 0 => [0x80], 1 => [0xE4, 0xB8], _ => [0xFF] };
        var at = rng.NextInt(bytes.Length + 1);
        return [.. bytes[..at], .. bad, .. bytes[at..]];
    }

    private static string Pick(ref Xoshiro256StarStar rng, string[] options) => options[rng.NextInt(options.Length)];
}

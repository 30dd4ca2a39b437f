using System.Text;
using Parity.Harness.Synthetic;

namespace Parity.Engine.Tests.Tokenizer;

/// <summary>
/// Deterministic test strings: hand-picked edge cases first, then generated mixes of words, punctuation, runs of
/// spaces, newlines and tabs, non-ASCII text, emoji and special-token texts. Same seed, same strings, on any machine.
/// </summary>
internal static class TokenizerCorpus
{
    /// <summary>Cases a tokenizer is most likely to get wrong, each for a reason.</summary>
    public static IReadOnlyList<string> EdgeCases { get; } =
    [
        string.Empty,
        " ",
        "   ",
        "\n",
        "\t \n",
        "Hello world",
        " Hello world",
        "Hello world  ",
        "<s>",
        "</s>",
        "<s></s>",
        " <s> x</s> ",
        "a<s>b</s>c",
        "<unk>",
        "<0x41>",
        "\u2581\u2581x \u2581",
        "caf\u00e9 \u00fcber",
        "\u4e2d\u6587",
        "\U0001F999\U0001F999 llama",
        "\U0001F636\u200D\U0001F32B\uFE0F",
        "line one\r\nline two",
        "<s><s>",
    ];

    private static readonly string[] Words =
    [
        "the", "Hello", "hello", "world", "once", "upon", "a", "time", "little", "girl", "cat", "happy", "parity", "token",
        "llama", "tensor", "xyzzy", "qwerty", "Mississippi", "don't", "it's", "3", "42", "1234567", "0x1F", "a.b.c",
    ];

    private static readonly string[] Foreign =
    [
        "\u00e9", "\u00fc", "caf\u00e9", "\u00dcbung", "\u4e2d\u6587", "\u6211\u60f3", "\u043f\u0440\u0438\u0432\u0435\u0442",
        "\u1780\u17b6\u1793\u17cb", "\U0001F999", "\U0001F680", "\U0001F636\u200D\U0001F32B\uFE0F", "\u2705", "\u00bd", "C\u1eeda",
    ];

    private static readonly string[] Punctuation = [".", ",", "!", "?", "'", "\"", "(", ")", ":", ";", "-", "...", "!!!", "<", ">", "|", "/"];

    private static readonly string[] Specials = ["<s>", "</s>", "<unk>", "<s> ", " </s>", "<0x0A>"];

    private static readonly string[] Separators = [" ", " ", " ", "  ", "   ", "\n", "\n\n", "\t", " \n ", "", "\r\n"];

    /// <summary>The edge cases followed by generated strings, <paramref name="count"/> in all.</summary>
    public static IReadOnlyList<string> Strings(int count, ulong seed)
    {
        var result = EdgeCases.Take(count).ToList();
        var rng = new Xoshiro256StarStar(seed);
        while (result.Count < count)
        {
            result.Add(Generate(ref rng));
        }

        return result;
    }

    /// <summary>A long text (about <paramref name="bytes"/> UTF-8 bytes) for the performance check.</summary>
    public static string Long(int bytes, ulong seed)
    {
        var rng = new Xoshiro256StarStar(seed);
        var text = new StringBuilder();
        while (Encoding.UTF8.GetByteCount(text.ToString()) < bytes)
        {
            for (var i = 0; i < 64; i++)
            {
                text.Append(Generate(ref rng)).Append(' ');
            }
        }

        return text.ToString();
    }

    private static string Generate(ref Xoshiro256StarStar rng)
    {
        var text = new StringBuilder();
        if (rng.NextInt(4) == 0)
        {
            text.Append(Pick(ref rng, [" ", "  ", "\n", "\t", " \t"]));
        }

        var parts = 1 + rng.NextInt(8);
        for (var i = 0; i < parts; i++)
        {
            if (i > 0)
            {
                text.Append(Pick(ref rng, Separators));
            }

            var kind = rng.NextInt(10);
            text.Append(kind switch
            {
                < 5 => Pick(ref rng, Words),
                < 7 => Pick(ref rng, Foreign),
                < 9 => Pick(ref rng, Words) + Pick(ref rng, Punctuation),
                _ => Pick(ref rng, Specials),
            });
        }

        if (rng.NextInt(4) == 0)
        {
            text.Append(Pick(ref rng, [" ", "  ", "\n", "\t\n", " </s>"]));
        }

        return text.ToString();
    }

    private static string Pick(ref Xoshiro256StarStar rng, string[] options) => options[rng.NextInt(options.Length)];
}

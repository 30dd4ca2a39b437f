namespace Parity.Engine.Tokenizer;

/// <summary>
/// llama.cpp's <c>llama_token_attr</c> bits, same values. A token's attributes come from its GGUF token type and are
/// then adjusted by llama.cpp's load-time heuristics (control-looking texts, Phi-3's rstrip); they decide which
/// tokens the special-token pass looks for, how a token renders, and whether whitespace around it is eaten.
/// </summary>
[Flags]
public enum TokenAttributes
{
    Undefined = 0,
    Unknown = 1 << 0,
    Unused = 1 << 1,
    Normal = 1 << 2,
    Control = 1 << 3,
    UserDefined = 1 << 4,
    Byte = 1 << 5,
    Normalized = 1 << 6,

    /// <summary>The special-token pass drops whitespace just before the token.</summary>
    LStrip = 1 << 7,

    /// <summary>The special-token pass drops whitespace just after the token.</summary>
    RStrip = 1 << 8,
    SingleWord = 1 << 9,
}

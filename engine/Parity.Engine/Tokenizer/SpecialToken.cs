namespace Parity.Engine.Tokenizer;

/// <summary>The special-token roles llama.cpp reads from <c>tokenizer.ggml.*_token_id</c> (or guesses from token texts).</summary>
public enum SpecialToken
{
    Bos,
    Eos,
    Eot,
    Eom,
    Unknown,
    Separator,
    Padding,
    Mask,
    FimPrefix,
    FimSuffix,
    FimMiddle,
    FimPad,
    FimRepo,
    FimSeparator,
}

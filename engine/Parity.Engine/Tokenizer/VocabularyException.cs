namespace Parity.Engine.Tokenizer;

/// <summary>A vocabulary the tokenizer cannot use: another tokenizer model, or metadata llama.cpp would reject. Names the file.</summary>
public sealed class VocabularyException : Exception
{
    public VocabularyException(string path, string problem)
        : base($"{path}: {problem}")
    {
        FilePath = path;
    }

    public VocabularyException()
        : this("<unknown>", "invalid vocabulary")
    {
    }

    public VocabularyException(string message)
        : base(message)
    {
        FilePath = "<unknown>";
    }

    public VocabularyException(string message, Exception innerException)
        : base(message, innerException)
    {
        FilePath = "<unknown>";
    }

    public string FilePath { get; }
}

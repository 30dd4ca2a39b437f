namespace Parity.Engine.Architectures;

/// <summary>
/// A model the engine does not implement (an architecture, a tensor, a hyperparameter value), refused by name rather
/// than computed some other way. The message names the file and what is missing.
/// </summary>
public sealed class UnsupportedModelException : NotSupportedException
{
    public UnsupportedModelException(string path, string what)
        : base($"{path}: {what}")
    {
        Path = path;
    }

    public UnsupportedModelException()
    {
        Path = string.Empty;
    }

    public UnsupportedModelException(string message, Exception innerException)
        : base(message, innerException)
    {
        Path = string.Empty;
    }

    public string Path { get; }
}

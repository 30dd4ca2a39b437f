namespace Parity.Runner;

/// <summary>Exit codes of parity-runner, documented for the harness (LlamaCppRunner maps them to exceptions).</summary>
public static class RunnerExitCodes
{
    public const int Ok = 0;

    /// <summary>A generic failure inside llama.cpp (model failed to load, decode failed, quantize failed).</summary>
    public const int LlamaFailure = 1;

    /// <summary>Bad usage or bad input.</summary>
    public const int BadInput = 2;

    /// <summary>llama.cpp's libraries (or a system library they need) cannot be found or loaded.</summary>
    public const int MissingLibrary = 3;

    /// <summary>The libraries load but read wrong through the layout chosen for them (defaults, tensor sizes).</summary>
    public const int AbiMismatch = 4;

    /// <summary>The process that started the runner died; the runner stopped without finishing.</summary>
    public const int Orphaned = 5;

    /// <summary>
    /// The runner cannot serve this llama.cpp build: no layout for it is known and none can be read (no headers, no C
    /// compiler), or its headers lack a field the runner uses. The message names what is missing.
    /// </summary>
    public const int UnservableAbi = 6;
}

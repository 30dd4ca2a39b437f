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

    /// <summary>The libraries load but their ABI (struct layouts, defaults) is not the one this runner was written for.</summary>
    public const int AbiMismatch = 4;

    /// <summary>The process that started the runner died; the runner stopped without finishing.</summary>
    public const int Orphaned = 5;
}

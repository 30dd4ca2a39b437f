namespace Parity.Cli;

/// <summary>The documented exit codes of <c>parity</c>, chosen so <c>git bisect run</c> can use them directly.</summary>
public static class ExitCodes
{
    /// <summary>Parity holds (or the command did what it was asked).</summary>
    public const int Ok = 0;

    /// <summary>Parity is broken: some tensor is outside its tolerance.</summary>
    public const int ParityBroken = 1;

    /// <summary>Bad usage or bad input (a malformed GGUF, a corrupt dump, an unknown option).</summary>
    public const int BadInput = 2;

    /// <summary>Cannot test: a build or runner failure; <c>git bisect run</c> skips the commit.</summary>
    public const int CannotTest = 125;

    /// <summary>Interrupted (Ctrl+C, SIGTERM): 128 + SIGINT, as shells report it; <c>git bisect run</c> stops.</summary>
    public const int Interrupted = 130;
}

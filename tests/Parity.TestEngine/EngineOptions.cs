namespace Parity.TestEngine;

/// <summary>The engine's command-line options: the planted bug, which shows in the version.</summary>
internal sealed record EngineOptions(bool RopePairingBug)
{
    public const string Name = "parity-test-engine";

    public const string Usage = "usage: Parity.TestEngine [--bug rope-pairing] REQUEST.json";

    public string Version => RopePairingBug ? "1 (--bug rope-pairing)" : "1";

    /// <summary>The options and the request path, or null (with the reason in <paramref name="error"/>) when the arguments are not understood.</summary>
    public static (EngineOptions Options, string Request)? Parse(IReadOnlyList<string> args, out string? error)
    {
        var (bug, request) = (false, (string?)null);
        error = null;
        for (var i = 0; i < args.Count && error is null; i++)
        {
            switch (args[i])
            {
                case "--bug" when i + 1 < args.Count && args[i + 1] == "rope-pairing":
                    bug = true;
                    i++;
                    break;
                case var a when a.StartsWith("--", StringComparison.Ordinal):
                    error = $"option '{a}' {(i + 1 < args.Count ? $"with '{args[i + 1]}' " : string.Empty)}not understood";
                    break;
                case var a when request is null:
                    request = a;
                    break;
                default:
                    error = $"one request file expected, got '{request}' and '{args[i]}'";
                    break;
            }
        }

        error ??= request is null ? "no request file given" : null;
        return error is null ? (new EngineOptions(bug), request!) : null;
    }
}

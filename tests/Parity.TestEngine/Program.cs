namespace Parity.TestEngine;

/// <summary>
/// <c>Parity.TestEngine [--bug rope-pairing] REQUEST</c>: answers one parity-engine protocol request. Exit 0 done,
/// 2 a malformed request or model file, 3 a request this engine does not implement (the protocol's refusal).
/// <c>--bug rope-pairing</c> plants a fault for the tests: RoPE rotates NEOX pairs (i, i + d/2) instead of llama's
/// adjacent (2i, 2i + 1).
/// </summary>
public static class Program
{
    private const string Usage = "usage: Parity.TestEngine [--bug rope-pairing] REQUEST.json";

    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var bug = args.Length == 3 && args[0] == "--bug" && args[1] == "rope-pairing";
        if (args.Length != (bug ? 3 : 1) || args[^1].StartsWith("--", StringComparison.Ordinal))
        {
            Console.Error.WriteLine($"parity-test-engine: {Usage} (got: {string.Join(' ', args)})");
            return 2;
        }

        var engine = new EngineIdentity(bug);
        try
        {
            var request = ProtocolRequest.Read(args[^1]);
            if (request.Action == "capabilities")
            {
                Capabilities.Write(request.Response!, engine);
            }
            else
            {
                DumpAction.Run(request, engine);
            }

            return 0;
        }
        catch (RefusedException e)
        {
            Console.Error.WriteLine($"parity-test-engine: refused: {e.Message}");
            return 3;
        }
        catch (BadRequestException e)
        {
            Console.Error.WriteLine($"parity-test-engine: {e.Message}");
            return 2;
        }
    }
}

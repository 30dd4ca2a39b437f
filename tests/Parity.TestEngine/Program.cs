namespace Parity.TestEngine;

/// <summary>
/// <c>Parity.TestEngine [--bug rope-pairing] REQUEST</c>: answers one parity-engine protocol
/// request. Exit 0 done, 2 malformed arguments, request, model file or forceFrom dump, 3 a request this engine does not implement (the
/// protocol's refusal). <c>--bug rope-pairing</c> plants a fault for the tests: RoPE rotates NEOX pairs
/// (i, i + d/2) instead of llama's adjacent (2i, 2i + 1).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (EngineOptions.Parse(args, out var error) is not var (options, requestPath))
        {
            Console.Error.WriteLine($"{EngineOptions.Name}: {error}; {EngineOptions.Usage}");
            return 2;
        }

        try
        {
            var request = ProtocolRequest.Read(requestPath);
            if (request.Action == "capabilities")
            {
                Capabilities.Write(request.Response!, options);
            }
            else
            {
                DumpAction.Run(request, options);
            }

            return 0;
        }
        catch (RefusedException e)
        {
            Console.Error.WriteLine($"{EngineOptions.Name}: refused: {e.Message}");
            return 3;
        }
        catch (Exception e) when (e is BadRequestException or Parity.Dump.DumpFormatException)
        {
            Console.Error.WriteLine($"{EngineOptions.Name}: {e.Message}");
            return 2;
        }
    }
}

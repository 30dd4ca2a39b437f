namespace Parity.TestEngine;

/// <summary>How the engine names itself in the handshake and in its dumps; a planted bug shows in the version.</summary>
internal sealed record EngineIdentity(bool RopePairingBug)
{
    public const string Name = "parity-test-engine";

    public string Version => RopePairingBug ? "1 (--bug rope-pairing)" : "1";
}

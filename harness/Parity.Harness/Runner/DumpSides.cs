namespace Parity.Harness.Runner;

/// <summary>Which sides a command dumps, for the size it is checked against before it starts.</summary>
[Flags]
public enum DumpSides
{
    Engine = 1,
    Reference = 2,
    Both = Engine | Reference,
}

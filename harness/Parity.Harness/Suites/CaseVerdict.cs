namespace Parity.Harness.Suites;

/// <summary>The outcome of one suite case.</summary>
public enum CaseVerdict
{
    Passed,

    /// <summary>Parity broken: a tensor outside its tolerance, a changed snapshot, or the tokenizers disagree.</summary>
    Failed,

    /// <summary>The case cannot run here (e.g. its fixture is absent); the reason says why.</summary>
    Skipped,

    /// <summary>Bad input: a missing or corrupt golden, or a model whose bytes differ from the golden's.</summary>
    Error,
}

using Parity.Harness;

namespace Parity.Cli.Rendering;

/// <summary>
/// Where a verb writes while its work runs: <see cref="Out"/> for results, <see cref="Err"/> for warnings and notes,
/// <see cref="Progress"/> for how far it is. Under a live display the writers that reach the terminal go through the
/// display, which prints their lines above itself.
/// </summary>
public sealed record VerbConsole(TextWriter Out, TextWriter Err, IProgress<WorkProgress> Progress);

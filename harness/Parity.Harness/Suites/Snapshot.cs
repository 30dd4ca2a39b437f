using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace Parity.Harness.Suites;

/// <summary>
/// Verify's snapshot convention in our own code (Verify.NUnit is not served here): the received text is compared
/// with <c>*.verified.json</c>; on a difference it is written to <c>*.received.json</c> beside it and the result
/// carries a line diff (DiffPlex) with a little context; <see cref="Accept"/> promotes received to verified.
/// </summary>
public static class Snapshot
{
    private const int ContextLines = 2;

    public static (SnapshotOutcome Outcome, string Diff) Compare(string verifiedPath, string receivedPath, string received)
    {
        ArgumentNullException.ThrowIfNull(received);
        if (File.Exists(verifiedPath))
        {
            var verified = File.ReadAllText(verifiedPath).ReplaceLineEndings("\n");
            if (string.Equals(verified, received, StringComparison.Ordinal))
            {
                File.Delete(receivedPath);
                return (SnapshotOutcome.Matches, string.Empty);
            }

            WriteAtomically(receivedPath, received);
            return (SnapshotOutcome.Changed, LineDiff(verified, received));
        }

        WriteAtomically(receivedPath, received);
        return (SnapshotOutcome.New, $"no {Path.GetFileName(verifiedPath)} yet; review {receivedPath} and run parity accept");
    }

    /// <summary>Promotes <paramref name="receivedPath"/> to <paramref name="verifiedPath"/>; false when nothing was received.</summary>
    public static bool Accept(string receivedPath, string verifiedPath)
    {
        if (!File.Exists(receivedPath))
        {
            return false;
        }

        File.Move(receivedPath, verifiedPath, overwrite: true);
        return true;
    }

    /// <summary>A unified-style diff: changed lines with <see cref="ContextLines"/> lines around them, "-" verified, "+" received.</summary>
    public static string LineDiff(string verified, string received)
    {
        var model = InlineDiffBuilder.Diff(verified, received, ignoreWhiteSpace: false);
        var lines = model.Lines;
        var show = new bool[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].Type is ChangeType.Inserted or ChangeType.Deleted or ChangeType.Modified)
            {
                for (var j = Math.Max(0, i - ContextLines); j <= Math.Min(lines.Count - 1, i + ContextLines); j++)
                {
                    show[j] = true;
                }
            }
        }

        var text = new StringBuilder();
        var gap = false;
        for (var i = 0; i < lines.Count; i++)
        {
            if (!show[i])
            {
                gap = true;
                continue;
            }

            if (gap && text.Length > 0)
            {
                text.Append("  ...\n");
            }

            gap = false;
            var prefix = lines[i].Type switch
            {
                ChangeType.Inserted => "+ ",
                ChangeType.Deleted => "- ",
                _ => "  ",
            };
            text.Append(prefix).Append(lines[i].Text).Append('\n');
        }

        return text.ToString();
    }

    private static void WriteAtomically(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}

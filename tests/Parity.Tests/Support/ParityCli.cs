namespace Parity.Tests.Support;

/// <summary>Runs the <c>parity</c> CLI in process and captures its output.</summary>
internal static class ParityCli
{
    public static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = Parity.Cli.Program.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}

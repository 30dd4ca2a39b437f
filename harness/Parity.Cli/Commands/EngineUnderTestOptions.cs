using System.CommandLine;
using Parity.Engine.Model;
using Parity.Harness.Engine;

namespace Parity.Cli.Commands;

/// <summary>
/// Which engine is under test: Parity's own (the default), or an external one over the parity-engine protocol
/// (<c>--engine CMD</c>, or <c>--engine-config FILE</c> keeping the command with its name map and options).
/// </summary>
public sealed class EngineUnderTestOptions
{
    public Option<string?> Engine { get; } = new("--engine") { Description = "An external engine under test: its command line (run directly, not through a shell; the request file's path is appended; docs/external-engines.md). Default: Parity's own engine" };

    public Option<FileInfo?> EngineConfig { get; } = new("--engine-config") { Description = "An engine config file (JSON: command, name, nameMap, timeoutSeconds, environment; docs/external-engines.md)" };

    public Option<FileInfo?> NameMap { get; } = new("--name-map") { Description = "The external engine's name map (docs/name-maps.md); overrides the config's nameMap" };

    public Option<double?> Timeout { get; } = new Option<double?>("--engine-timeout") { Description = "Seconds an external engine call may take before its process tree is killed (default 1800, or the config's timeoutSeconds)" };

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(Engine);
        command.Options.Add(EngineConfig);
        command.Options.Add(NameMap);
        command.Options.Add(Timeout);
        command.Validators.Add(result =>
        {
            if (result.GetValue(Engine) is not null && result.GetValue(EngineConfig) is not null)
            {
                result.AddError("--engine and --engine-config: give one of them");
            }

            if (result.GetValue(Timeout) is { } t && (!(t > 0) || t > 7 * 24 * 3600))
            {
                result.AddError($"--engine-timeout {t}: expected seconds above 0, at most a week");
            }

            if (result.GetValue(Engine) is null && result.GetValue(EngineConfig) is null && (result.GetValue(NameMap) is not null || result.GetValue(Timeout) is not null))
            {
                result.AddError("--name-map and --engine-timeout apply to an external engine: add --engine or --engine-config");
            }
        });
    }

    /// <summary>Whether an external engine was asked for.</summary>
    public bool IsExternal(ParseResult parse) => parse.GetValue(Engine) is not null || parse.GetValue(EngineConfig) is not null;

    /// <summary>The external engine's config, or null for Parity's own engine.</summary>
    public ExternalEngineConfig? Config(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var config = parse.GetValue(EngineConfig) is { } file ? ExternalEngineConfig.Load(file.FullName)
            : parse.GetValue(Engine) is { } line ? ExternalEngineConfig.FromCommandLine(line)
            : null;
        if (config is null)
        {
            return null;
        }

        if (parse.GetValue(NameMap) is { } map)
        {
            config = config with { NameMapPath = map.FullName };
        }

        return parse.GetValue(Timeout) is { } seconds ? config with { Timeout = TimeSpan.FromSeconds(seconds) } : config;
    }

    /// <summary>The engine under test: the external one after its handshake, or Parity's own with these numerics.</summary>
    public async Task<IEngineUnderTest> ResolveAsync(ParseResult parse, NumericsMode numerics, CancellationToken cancellationToken)
    {
        return Config(parse) is { } config
            ? await ExternalEngine.ConnectAsync(config, cancellationToken).ConfigureAwait(false)
            : new BuiltInEngine(numerics);
    }
}

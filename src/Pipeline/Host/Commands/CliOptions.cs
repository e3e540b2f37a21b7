using System.CommandLine;
using Pipeline.Components;
using Pipeline.Config;

namespace Pipeline.Host.Commands;

/// <summary>
/// The options every command that reads a topology shares, and how they resolve: the config path (positional, or
/// <c>--config</c>/<c>-c</c>, else PIPELINE_CONFIG, else the embedded default) and the admin address (<c>--admin-address</c>,
/// else PIPELINE_ADMIN_ADDRESS, else the YAML's admin.address, else 0.0.0.0:9464). One instance per command:
/// <c>var options = CliOptions.AddTo(command, adminAddress: true)</c>, then <c>options.Load(parse, context)</c>.
/// </summary>
public sealed class CliOptions
{
    public const string ConfigVariable = "PIPELINE_CONFIG";
    public const string AdminAddressVariable = "PIPELINE_ADMIN_ADDRESS";

    private CliOptions(Option<string> config, Argument<string?> configPath, Option<string>? adminAddress)
    {
        Config = config;
        ConfigPath = configPath;
        AdminAddress = adminAddress;
    }

    public Option<string> Config { get; }

    /// <summary>The config path as a positional argument, as in <c>vector validate x.yaml</c>.</summary>
    public Argument<string?> ConfigPath { get; }

    /// <summary>Null on commands where the admin address means nothing (offline ones).</summary>
    public Option<string>? AdminAddress { get; }

    public static CliOptions AddTo(Command command, bool adminAddress)
    {
        ArgumentNullException.ThrowIfNull(command);
        var config = new Option<string>("--config", "-c")
        {
            Description = $"The topology YAML file (or give it as the argument); without either, ${ConfigVariable}, else the embedded default.",
        };
        var configPath = new Argument<string?>("config-file")
        {
            Description = "The topology YAML file, as --config.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        command.Options.Add(config);
        command.Arguments.Add(configPath);
        command.Validators.Add(result =>
        {
            var positional = result.GetValue(configPath);
            var flag = result.GetValue(config);
            if (positional is not null && flag is not null && Path.GetFullPath(positional) != Path.GetFullPath(flag))
            {
                result.AddError($"two config files given: '{positional}' and --config '{flag}'; give one");
            }
        });
        Option<string>? admin = null;
        if (adminAddress)
        {
            admin = new Option<string>("--admin-address")
            {
                Description = $"Where the admin endpoints listen (ip:port; port 0 picks a free one). Overrides ${AdminAddressVariable}, which overrides the YAML's admin.address.",
            };
            command.Options.Add(admin);
        }
        return new CliOptions(config, configPath, admin);
    }

    /// <summary>The config file the command names, or null for the embedded default.</summary>
    public string? ConfigFile(ParseResult parse, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(context);
        return parse.GetValue(ConfigPath) ?? parse.GetValue(Config) ?? NonEmpty(context.Environment(ConfigVariable));
    }

    /// <summary>The admin address that overrides the YAML's: the flag, else the environment; null when neither is set.</summary>
    public string? AdminAddressOverride(ParseResult parse, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(context);
        return (AdminAddress is null ? null : parse.GetValue(AdminAddress)) ?? NonEmpty(context.Environment(AdminAddressVariable));
    }

    /// <summary>Reads and validates the topology the command names and applies the admin address override.</summary>
    public LoadedConfig Load(ParseResult parse, CliContext context)
    {
        var path = ConfigFile(parse, context);
        PipelineConfig config;
        try
        {
            if (path is null)
            {
                config = ConfigLoader.LoadEmbeddedDefault(context.Catalog);
            }
            else if (Directory.Exists(path))
            {
                return LoadedConfig.Failed($"'{path}' is a directory, not a topology file");
            }
            else if (!File.Exists(path))
            {
                return LoadedConfig.Failed($"no such file: '{path}'");
            }
            else
            {
                config = ConfigLoader.LoadFile(path, context.Catalog);
            }
        }
        catch (ConfigException e)
        {
            return new LoadedConfig(null, e.Errors, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return LoadedConfig.Failed($"cannot read the config file '{path}': {e.Message}");
        }

        if (AdminAddressOverride(parse, context) is { } address)
        {
            if (!ListenAddress.TryParse(address, out _))
            {
                var from = AdminAddress is not null && parse.GetValue(AdminAddress) is not null ? "--admin-address" : AdminAddressVariable;
                return LoadedConfig.Failed($"{from}: expected {ListenAddress.Expected}, found '{address}'");
            }
            config.Admin.Address = address;
        }
        return new LoadedConfig(config, [], null);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

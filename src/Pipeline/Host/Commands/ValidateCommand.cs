using System.CommandLine;

namespace Pipeline.Host.Commands;

/// <summary><c>pipeline validate [FILE]</c>: a summary and exit 0, or every error on stderr and exit 78.</summary>
internal static class ValidateCommand
{
    public static Command Create(CliContext context)
    {
        var validate = new Command("validate", "Check a topology file: exit 0 with a summary, or exit 78 with every error on stderr.");
        var options = CliOptions.AddTo(validate, adminAddress: true);
        validate.SetAction(parse =>
        {
            var loaded = options.Load(parse, context);
            if (loaded.Config is not { } config)
            {
                loaded.WriteErrors(parse.InvocationConfiguration.Error);
                return ExitCodes.ConfigError;
            }
            foreach (var warning in config.Warnings)
            {
                parse.InvocationConfiguration.Error.WriteLine(warning.ToString());
            }
            var warnings = config.Warnings.Count switch { 0 => "", 1 => ", 1 warning", var n => $", {n} warnings" };
            parse.InvocationConfiguration.Output.WriteLine($"{config.File}: valid: {config.ComponentCounts}{warnings}");
            return ExitCodes.Ok;
        });
        return validate;
    }
}

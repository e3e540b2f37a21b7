using System.CommandLine;

namespace Pipeline.Host.Commands;

/// <summary><c>pipeline buffer check [FILE]</c>: every disk buffer's records checked offline.</summary>
internal static class BufferCommand
{
    public static Command Create(CliContext context)
    {
        var check = new Command("check", $"Check every disk buffer of the topology offline: each record's frame and checksum. Exit 0 when all are whole, {BufferCheck.DamageFound} when damage was found.");
        var options = CliOptions.AddTo(check, adminAddress: false);
        check.SetAction(parse =>
        {
            var loaded = options.Load(parse, context);
            if (loaded.Config is not { } config)
            {
                loaded.WriteErrors(parse.InvocationConfiguration.Error);
                return ExitCodes.ConfigError;
            }
            return BufferCheck.Run(config, parse.InvocationConfiguration.Output);
        });
        return new Command("buffer", "Inspect the sinks' disk buffers.") { check };
    }
}

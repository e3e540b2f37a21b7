using System.CommandLine;

namespace Pipeline.Host.Commands;

/// <summary><c>pipeline dead-letter replay [FILE]</c>: dead-letter records re-injected where they failed.</summary>
internal static class DeadLetterCommand
{
    public static Command Create(CliContext context)
    {
        var sink = new Option<string>("--sink") { Description = "Only records dead-lettered by this stage or sink." };
        var since = new Option<string>("--since") { Description = "Only records written since this time (2026-12-04T10:00:00Z) or this long ago (30m, 2h)." };
        var replay = new Command("replay", "Re-inject dead-letter records into the stage or sink that gave up on them, with their trace context, once each; report how many went where.")
        {
            sink, since,
        };
        var options = CliOptions.AddTo(replay, adminAddress: false);
        replay.SetAction((parse, ct) =>
        {
            var loaded = options.Load(parse, context);
            if (loaded.Config is not { } config)
            {
                loaded.WriteErrors(parse.InvocationConfiguration.Error);
                return Task.FromResult(ExitCodes.ConfigError);
            }
            return DeadLetterReplay.RunAsync(config, parse.GetValue(sink), parse.GetValue(since), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct);
        });
        return new Command("dead-letter", "Work with the dead-letter file.") { replay };
    }
}

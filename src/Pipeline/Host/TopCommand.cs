using System.CommandLine;
using System.Net.Http.Json;
using Pipeline.Config;
using Pipeline.Topology;
using Spectre.Console;

namespace Pipeline.Host;

/// <summary>
/// <c>pipeline top</c>: a live table of every component of a running pipeline (events in and out per second, errors,
/// dead letters, mailbox fill, P95, isolates, state), from the admin port's <c>/topology</c>; <c>--once</c> prints one
/// frame as plain text and exits. q or Ctrl-C quits.
/// </summary>
internal static class TopCommand
{
    public static Command Create(Commands.CliContext context)
    {
        var interval = new Option<string>("--interval")
        {
            Description = "How often to refresh (1s, 500ms); rates cover the last 5 seconds whatever it is.",
            DefaultValueFactory = _ => "1s",
        };
        var once = new Option<bool>("--once") { Description = "Print one frame as plain text and exit: for scripts." };
        var command = new Command("top", "Show every component of a running pipeline, refreshed live: rates, errors, mailbox fill, P95, isolates, state.")
        {
            interval, once,
        };
        var target = Commands.AdminTarget.AddTo(command);
        command.SetAction((parse, ct) => RunAsync(
            () => target.Connect(parse, context), parse.GetRequiredValue(interval), parse.GetValue(once),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct));
        return command;
    }

    private static async Task<int> RunAsync(
        Func<(AdminClient? Client, int Failure)> connect, string intervalText, bool once, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (!DurationText.TryParse(intervalText, out var interval) || interval <= TimeSpan.Zero)
        {
            await stderr.WriteLineAsync($"error: --interval: expected a duration such as 1s or 500ms, found '{intervalText}'").ConfigureAwait(false);
            return 1;
        }
        var (connected, failure) = connect();
        if (connected is null)
        {
            return failure;
        }
        using var client = connected;
        var (snapshot, error) = await FetchAsync(client, cancellationToken).ConfigureAwait(false);
        if (snapshot is null)
        {
            await stderr.WriteLineAsync(error).ConfigureAwait(false);
            return 1;
        }
        if (once)
        {
            var plain = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.No,
                ColorSystem = ColorSystemSupport.NoColors,
                Interactive = InteractionSupport.No,
                Out = new AnsiConsoleOutput(stdout),
            });
            plain.Profile.Width = Console.IsOutputRedirected || stdout != Console.Out ? 200 : Console.WindowWidth;
            plain.Write(TopView.Render(snapshot));
            return 0;
        }
        return await RunLiveAsync(client, snapshot, interval, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> RunLiveAsync(AdminClient client, TopologySnapshot first, TimeSpan interval, CancellationToken cancellationToken)
    {
        using var quit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCtrlC = (_, e) =>
        {
            // Quit like q: the live display restores the cursor on its way out, which a killed process would not.
            e.Cancel = true;
            quit.Cancel();
        };
        Console.CancelKeyPress += onCtrlC;
        var keys = Console.IsInputRedirected ? Task.CompletedTask : Task.Run(() => WatchForQuit(quit), CancellationToken.None);
        try
        {
            await AnsiConsole.Live(TopView.Render(first)).StartAsync(async live =>
            {
                try
                {
                    while (!quit.IsCancellationRequested)
                    {
                        await Task.Delay(interval, quit.Token).ConfigureAwait(false);
                        var (snapshot, error) = await FetchAsync(client, quit.Token).ConfigureAwait(false);
                        // The last frame stays up, marked, while the pipeline does not answer (it may be restarting).
                        live.UpdateTarget(TopView.Render(snapshot ?? first, snapshot is null ? error : null));
                        first = snapshot ?? first;
                        live.Refresh();
                    }
                }
                catch (OperationCanceledException) when (quit.IsCancellationRequested)
                {
                }
            }).ConfigureAwait(false);
        }
        finally
        {
            Console.CancelKeyPress -= onCtrlC;
            await quit.CancelAsync().ConfigureAwait(false);
        }
        return 0;
    }

    private static void WatchForQuit(CancellationTokenSource quit)
    {
        while (!quit.IsCancellationRequested)
        {
            // KeyAvailable rather than a blocking ReadKey, so this thread ends with the view instead of holding stdin.
            if (!Console.KeyAvailable)
            {
                Thread.Sleep(50);
                continue;
            }
            if (Console.ReadKey(intercept: true).Key is ConsoleKey.Q or ConsoleKey.Escape)
            {
                quit.Cancel();
            }
        }
    }

    private static async Task<(TopologySnapshot? Snapshot, string? Error)> FetchAsync(AdminClient client, CancellationToken cancellationToken)
    {
        var (response, error) = await client.GetAsync("/topology", cancellationToken).ConfigureAwait(false);
        if (response is null)
        {
            return (null, error);
        }
        using (response)
        {
            var snapshot = await response.Content.ReadFromJsonAsync(AdminJson.Default.TopologySnapshot, cancellationToken).ConfigureAwait(false);
            return snapshot is null ? (null, $"error: {client.BaseAddress}topology answered no topology") : (snapshot, null);
        }
    }
}

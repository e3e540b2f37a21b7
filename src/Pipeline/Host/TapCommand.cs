using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Pipeline.Host;

/// <summary>
/// <c>pipeline tap component[.output]</c>: prints the events leaving a component of a running pipeline as JSON lines
/// (the admin port's <c>/tap</c>, docs/inspect.md) on stdout, and how the tap ended on stderr.
/// </summary>
internal static class TapCommand
{
    public static Command Create(Commands.CliContext context)
    {
        var component = new Argument<string>("component") { Description = "What to watch: a source or stage id, or a named output as id.output (route_id.payments)." };
        var limit = new Option<long?>("--limit", "-n") { Description = "Stop after this many events (default: until Ctrl-C or the pipeline stops)." };
        var sample = new Option<double?>("--sample") { Description = "The share of events to copy, above 0 and at most 1 (default 1: every event)." };
        var command = new Command("tap", "Print the events leaving a component of a running pipeline, as JSON lines; the pipeline never waits for the tap (a slow reader misses events, counted).")
        {
            component, limit, sample,
        };
        var target = Commands.AdminTarget.AddTo(command);
        command.SetAction((parse, ct) => RunAsync(
            parse.GetRequiredValue(component), parse.GetValue(limit), parse.GetValue(sample), () => target.Connect(parse, context),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct));
        return command;
    }

    private static async Task<int> RunAsync(
        string component, long? limit, double? sample, Func<(AdminClient? Client, int Failure)> connect, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var (connected, failure) = connect();
        if (connected is null)
        {
            return failure;
        }
        using var client = connected;
        var query = $"{TapEndpoint.Path}?component={Uri.EscapeDataString(component)}"
            + (limit is { } n ? string.Create(CultureInfo.InvariantCulture, $"&limit={n}") : "")
            + (sample is { } r ? string.Create(CultureInfo.InvariantCulture, $"&sample={r}") : "");
        var (response, error) = await client.GetAsync(query, cancellationToken).ConfigureAwait(false);
        if (response is null)
        {
            await stderr.WriteLineAsync(error).ConfigureAwait(false);
            return 1;
        }
        using (response)
        {
            try
            {
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
                while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
                {
                    if (line.StartsWith("{\"tap_end\":", StringComparison.Ordinal))
                    {
                        await stderr.WriteLineAsync(Describe(line)).ConfigureAwait(false);
                        return 0;
                    }
                    await stdout.WriteLineAsync(line).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
            catch (IOException e)
            {
                await stderr.WriteLineAsync($"error: the tap at {client.BaseAddress} broke off: {e.Message}").ConfigureAwait(false);
                return 1;
            }
        }
        await stderr.WriteLineAsync($"error: the tap at {client.BaseAddress} ended without its closing line (the pipeline went away?)").ConfigureAwait(false);
        return 1;
    }

    private static string Describe(string endLine)
    {
        using var json = JsonDocument.Parse(endLine);
        var end = json.RootElement.GetProperty("tap_end");
        var reason = end.GetProperty("reason").GetString() switch
        {
            "limit" => "the limit was reached",
            "finished" => "the pipeline finished",
            _ => "the pipeline is stopping",
        };
        var events = end.GetProperty("events").GetInt64();
        var dropped = end.GetProperty("dropped").GetInt64();
        var why = dropped > 0 ? " (the component sent faster than this tap read; try --sample)" : "";
        return string.Create(CultureInfo.InvariantCulture, $"tap ended, {reason}: {events} {(events == 1 ? "event" : "events")}, {dropped} dropped{why}");
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Pipeline.Config;
using Pipeline.Events;
using Pipeline.Isolates;
using Pipeline.Telemetry;
using Pipeline.Topology;
using Serilog;

namespace Pipeline.Host;

/// <summary>
/// <c>pipeline dead-letter replay --config FILE [--sink ID] [--since TIME]</c>: re-injects the dead-letter file's
/// events into the stage or sink that gave up on them, with their trace context, drains the topology (its sources
/// are not started), and reports how many went where and what was skipped and why.
/// </summary>
/// <remarks>
/// Exactly once per record: the byte offsets (and hashes) of the records replayed are appended to <c>&lt;dead-letter
/// file&gt;.replayed</c> once the topology has drained (every replayed event delivered, or dead-lettered again as a new
/// record), and a later replay skips them. A replay that does not drain within shutdown_timeout records nothing, so
/// running it again replays the same records (the ones already delivered then arrive twice, never none).
/// Safe beside the running service: see <see cref="HoldEverythingInMemoryAndBlock"/>.
/// </remarks>
internal static class DeadLetterReplay
{
    public static async Task<int> RunAsync(PipelineConfig config, string? sinkId, string? since, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        DateTimeOffset? notBefore = null;
        if (since is not null)
        {
            if (DurationText.TryParse(since, out var ago))
            {
                notBefore = DateTimeOffset.UtcNow - ago;
            }
            else if (DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                notBefore = at;
            }
            else
            {
                await error.WriteLineAsync($"error: --since expected a time (2026-12-04T10:00:00Z) or a duration back from now (30m, 2h), found '{since}'").ConfigureAwait(false);
                return 1;
            }
        }
        var path = config.ResolvedDeadLetterPath;
        if (!File.Exists(path))
        {
            await output.WriteLineAsync($"{path}: no dead-letter file; nothing to replay").ConfigureAwait(false);
            return 0;
        }
        var statePath = path + ".replayed";
        var replayedBefore = ReadReplayed(statePath);
        var candidates = new List<(string Key, JsonElement Record, string ComponentId)>();
        var skipped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var records = 0;
        foreach (var (key, line) in ReadLines(path))
        {
            records++;
            JsonElement record;
            try
            {
                using var document = JsonDocument.Parse(line);
                record = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                Count(skipped, "unreadable line (not JSON)");
                continue;
            }
            var component = record.TryGetProperty("component_id", out var c) ? c.GetString() ?? "" : "";
            if (replayedBefore.Contains(key))
            {
                Count(skipped, "already replayed");
            }
            else if (!record.TryGetProperty("event", out _))
            {
                Count(skipped, "raw input, not an event (fix the sender and resend it)");
            }
            else if (sinkId is not null && component != sinkId)
            {
                Count(skipped, $"from another component than --sink {sinkId}");
            }
            else if (notBefore is { } limit && record.TryGetProperty("timestamp", out var t) && t.TryGetDateTimeOffset(out var at) && at < limit)
            {
                Count(skipped, $"before --since {limit:O}");
            }
            else
            {
                candidates.Add((key, record, component));
            }
        }

        HoldEverythingInMemoryAndBlock(config);
        var metrics = PipelineMetrics.CreateIsolated();
        await using var logger = new LoggerConfiguration().MinimumLevel.Warning().WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose).CreateLogger();
        var tracingConfiguration = TracingConfiguration.Resolve(config.Traces.ToTracingOptions(), Environment.GetEnvironmentVariable, []);
        using var tracing = tracingConfiguration is null ? null : TracingSetup.Start(tracingConfiguration, metrics);
        var went = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var replayed = new List<string>();
        await using var topology = RunningTopology.Build(config, metrics, logger, tracing?.ForPipeline(config.Name));
        var deadLettersBefore = topology.DeadLettersWritten;
        await topology.StartForInjectionAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (key, record, component) in candidates)
        {
            if (!topology.CanInject(component))
            {
                Count(skipped, $"component '{component}' is not a stage or sink of this topology");
                continue;
            }
            var evt = Event.Parse(Encoding.UTF8.GetBytes(record.GetProperty("event").GetRawText()));
            var now = Stopwatch.GetTimestamp();
            await topology.InjectAsync(component, new Envelope(
                evt, TraceContextOf(record, out var newTraceId), now, 1, StringOf(record, "source_id") ?? "dead-letter-replay", now, newTraceId)).ConfigureAwait(false);
            went[component] = went.GetValueOrDefault(component) + 1;
            replayed.Add(key);
        }
        topology.FinishInjecting();
        var report = await topology.StopAsync(config.ShutdownTimeout).ConfigureAwait(false);
        tracing?.Flush(TimeSpan.FromSeconds(10));
        var deadLetteredAgain = topology.DeadLettersWritten - deadLettersBefore;

        await output.WriteLineAsync($"{path}: {records} records").ConfigureAwait(false);
        await output.WriteLineAsync($"replayed {replayed.Count}{(went.Count == 0 ? "" : ": " + string.Join(", ", went.Select(w => $"{w.Value} to {w.Key}")))}").ConfigureAwait(false);
        foreach (var (reason, count) in skipped)
        {
            await output.WriteLineAsync($"skipped {count}: {reason}").ConfigureAwait(false);
        }
        if (deadLetteredAgain > 0)
        {
            await output.WriteLineAsync($"dead-lettered again: {deadLetteredAgain} (new records at the end of {path}; replay them once the cause is fixed)").ConfigureAwait(false);
        }
        if (!report.Drained)
        {
            await error.WriteLineAsync($"error: the topology did not drain within shutdown_timeout ({config.ShutdownTimeout}); nothing was marked replayed, so running this again replays the same records").ConfigureAwait(false);
            return 1;
        }
        if (replayed.Count > 0)
        {
            await File.AppendAllLinesAsync(statePath, replayed, CancellationToken.None).ConfigureAwait(false);
        }
        return 0;
    }

    /// <summary>
    /// Replay runs beside the service, from the same config: a sink's disk buffer belongs to the service (two processes
    /// appending to one segment log would corrupt it, and the replay would deliver the service's backlog as its own),
    /// so the replay's sinks use memory buffers, which is enough because nothing is marked replayed before the topology
    /// drained. And a replayed event must not be dropped for a full mailbox and then marked replayed: every stage and
    /// sink blocks (the replay just waits) instead of <c>when_full: drop_newest</c>.
    /// </summary>
    private static void HoldEverythingInMemoryAndBlock(PipelineConfig config)
    {
        foreach (var component in config.Components)
        {
            component.Stage.Buffer = null;
            component.Stage.WhenFull = WhenFull.Block;
        }
    }

    /// <summary>The record's W3C context when it has one; else, for an event that came without one, the trace id the pipeline gave it.</summary>
    private static ActivityContext TraceContextOf(JsonElement record, out CompactTraceId newTraceId)
    {
        newTraceId = default;
        if (StringOf(record, "traceparent") is { } traceparent
            && ActivityContext.TryParse(traceparent, StringOf(record, "tracestate"), isRemote: true, out var context))
        {
            return context;
        }
        if (StringOf(record, "trace_id") is { Length: 32 } traceId)
        {
            newTraceId = CompactTraceId.From(ActivityTraceId.CreateFromString(traceId));
        }
        return default;
    }

    private static string? StringOf(JsonElement record, string name)
        => record.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static void Count(SortedDictionary<string, int> counts, string reason) => counts[reason] = counts.GetValueOrDefault(reason) + 1;

    private static HashSet<string> ReadReplayed(string statePath)
        => File.Exists(statePath) ? [.. File.ReadLines(statePath).Where(l => l.Length > 0)] : [];

    /// <summary>
    /// Each non-empty line with its identity in the state file: the byte offset it starts at and a hash of its bytes.
    /// The offset alone would not do: a dead-letter file moved aside and started afresh has new records at the offsets
    /// of replayed ones, and they would be skipped for good. (A key that matches nothing is only replayed again.)
    /// </summary>
    private static IEnumerable<(string Key, string Line)> ReadLines(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var start = 0;
        while (start < bytes.Length)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0)
            {
                // A last line without its newline is a record still being written: left for the next replay.
                yield break;
            }
            if (end > start)
            {
                var line = bytes.AsSpan(start, end - start);
                var key = string.Create(CultureInfo.InvariantCulture, $"{start} {Convert.ToHexStringLower(SHA256.HashData(line).AsSpan(0, 8))}");
                yield return (key, Encoding.UTF8.GetString(line));
            }
            start = end + 1;
        }
    }
}

using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
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
        if (sinkId is not null && !config.Components.Any(c => c.Id == sinkId && c.Kind != Components.ComponentKind.Source))
        {
            await error.WriteLineAsync($"error: --sink expected a stage or sink of {config.File} ({string.Join(", ", config.Components.Where(c => c.Kind != Components.ComponentKind.Source).Select(c => c.Id))}), found '{sinkId}'").ConfigureAwait(false);
            return 1;
        }
        var path = config.ResolvedDeadLetterPath;
        if (!File.Exists(path))
        {
            await output.WriteLineAsync($"{path}: no dead-letter file; nothing to replay").ConfigureAwait(false);
            return 0;
        }
        var statePath = path + ".replayed";
        var replayedBefore = ReadReplayed(statePath);
        var skipped = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var records = 0;

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
        // Only what the file held when the replay began: what this replay dead-letters again is appended to the same
        // file, and reading on would replay it again, and again.
        var end = new FileInfo(path).Length;
        await foreach (var (key, line) in ReadLinesAsync(path, end, cancellationToken).ConfigureAwait(false))
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
            else if (!record.TryGetProperty("event", out var eventJson))
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
            else if (!topology.CanInject(component))
            {
                Count(skipped, $"component '{component}' is not a stage or sink of this topology");
            }
            else
            {
                var evt = Event.Parse(Encoding.UTF8.GetBytes(eventJson.GetRawText()));
                var now = Stopwatch.GetTimestamp();
                await topology.InjectAsync(component, new Envelope(
                    evt, TraceContextOf(record, out var newTraceId), now, 1, StringOf(record, "source_id") ?? "dead-letter-replay", now, newTraceId)).ConfigureAwait(false);
                went[component] = went.GetValueOrDefault(component) + 1;
                replayed.Add(key);
            }
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
            && W3CTraceparent.TryParse(traceparent, StringOf(record, "tracestate"), isRemote: true, out var context))
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
    /// Each non-empty line of the first <paramref name="end"/> bytes with its identity in the state file: the byte
    /// offset it starts at and a hash of its bytes. The offset alone would not do: a dead-letter file moved aside and
    /// begun afresh has new records at the offsets of replayed ones, and they would be skipped for good. (A key that
    /// matches nothing is only replayed again.) Streamed: a file left by a long outage can be larger than memory.
    /// </summary>
    private static async IAsyncEnumerable<(string Key, string Line)> ReadLinesAsync(
        string path, long end, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The service may be appending to it, and may move it aside.
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, FileOptions.SequentialScan);
        var reader = PipeReader.Create(file, new StreamPipeReaderOptions(bufferSize: 64 * 1024));
        var lines = new List<(string Key, string Line)>();
        long offset = 0;
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = read.Buffer;
                var done = TakeLines(ref buffer, ref offset, end, lines) || read.IsCompleted;
                reader.AdvanceTo(buffer.Start, buffer.End);
                foreach (var line in lines)
                {
                    yield return line;
                }
                lines.Clear();
                // A last line without its newline is a record still being written: left for the next replay.
                if (done)
                {
                    yield break;
                }
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Moves the whole lines off the front of <paramref name="buffer"/>; true once past <paramref name="end"/>.</summary>
    private static bool TakeLines(ref ReadOnlySequence<byte> buffer, ref long offset, long end, List<(string Key, string Line)> lines)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
        {
            if (offset + line.Length + 1 > end)
            {
                return true;
            }
            if (line.Length > 0)
            {
                var bytes = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
                var key = string.Create(CultureInfo.InvariantCulture, $"{offset} {Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 8))}");
                lines.Add((key, Encoding.UTF8.GetString(bytes)));
            }
            offset += line.Length + 1;
        }
        buffer = buffer.Slice(reader.Position);
        return offset >= end;
    }
}

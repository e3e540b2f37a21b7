using System.Diagnostics;
using System.Globalization;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Isolates;
using Pipeline.Processors;
using Pipeline.Telemetry;
using Serilog;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// How the CPU-bound hash stage (SHA-256 of a 1 KiB field) scales from 1 to 2 isolates. The stage's mailboxes are
/// filled first and completed, then its isolates start and the clock runs until they have drained: what is timed
/// is the stage alone, not a producer competing with it for the same two cores.
/// </summary>
internal static class HashScaling
{
    // This is a shared 2-vCPU machine: single runs vary by several percent, so each figure is the best of several.
    private const int Runs = 5;

    public static async Task RunAsync(int events)
    {
        var rates = new Dictionary<int, double>();
        foreach (var isolates in new[] { 1, 2 })
        {
            await MeasureAsync(isolates, events / 4).ConfigureAwait(false); // warm-up
            var best = 0.0;
            for (var run = 0; run < Runs; run++)
            {
                best = Math.Max(best, await MeasureAsync(isolates, events).ConfigureAwait(false));
            }
            rates[isolates] = best;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"hash isolates={isolates} events={events} field_bytes=1024 events_per_s={best:N0} (best of {Runs})"));
        }
        var speedup = rates[2] / rates[1];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hash speedup_2_vs_1={speedup:F2}x"));
        // The ceiling, measured in the same run: what two processes reach on this machine now.
        var ceiling = await HashCeiling.MeasureAsync(events).ConfigureAwait(false);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hash speedup_of_ceiling={speedup / ceiling:P0} (2 isolates {speedup:F2}x, two processes {ceiling:F2}x)"));
    }

    private static async Task<double> MeasureAsync(int isolates, int events)
    {
        var dataDir = Directory.CreateTempSubdirectory("pipeline-bench-hash-");
        using var logger = new LoggerConfiguration().MinimumLevel.Warning().CreateLogger();
        var metrics = PipelineMetrics.CreateIsolated();
        using var deadLetters = new DeadLetterWriter(Path.Combine(dataDir.FullName, "dead-letter.jsonl"), "bench", logger);
        var settings = new IsolatePoolSettings { Isolates = isolates, Mailbox = events, BatchSize = 64 };
        var factory = new HashConfig { Fields = [FieldPath.Parse(".payload")] }.Build(new ComponentContext("hash", "bench", dataDir.FullName));
        var pool = IsolatePool.ForProcessor(
            "hash", "hash", settings, factory, new ComponentCounters(metrics.ForComponent("bench", "hash", "processor")), deadLetters, logger);

        var template = Event.Parse($$"""{"message":"payment accepted","payload":"{{new string('p', 1024)}}"}""");
        for (var i = 0; i < events; i++)
        {
            var evt = template.Clone();
            var now = Stopwatch.GetTimestamp();
            var envelope = new Envelope(evt, default, now, 1, "bench", now);
            if (pool.TryAdmit(pool.Route(evt), envelope) != Admission.Admitted)
            {
                throw new InvalidOperationException("the mailbox should hold every event of the run");
            }
        }
        pool.CompleteMailboxes();
        // Filling the mailboxes allocated every event's arrays; collect now so that work is not timed.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        var clock = Stopwatch.StartNew();
        pool.Start(CancellationToken.None);
        await pool.Completion.ConfigureAwait(false);
        clock.Stop();

        var processed = (long)metrics.ForComponent("bench", "hash", "processor").Received.Value;
        if (processed != events)
        {
            throw new InvalidOperationException($"the stage processed {processed} of {events} events");
        }
        dataDir.Delete(recursive: true);
        return events / clock.Elapsed.TotalSeconds;
    }
}

using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Isolates;
using Pipeline.Telemetry;
using Serilog;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// Times a processor stage alone, through the real <see cref="IsolatePool"/>: its mailboxes are filled with copies of
/// one event and completed first, then its isolates start and the clock runs until they have drained. What is timed
/// is the stage, not a producer competing with it for the same two cores.
/// </summary>
internal static class StageDrain
{
    /// <summary>The isolates' batch size: the default's order, and what a script stage is called with per call.</summary>
    public const int BatchSize = 64;

    /// <summary>
    /// How long the stage took to process <paramref name="events"/> copies of <paramref name="template"/>, the CPU
    /// time <paramref name="processorTime"/> (this process's by default) advanced meanwhile, and the whole machine's:
    /// under other processes' load two isolates get less than two cores, and this shows how much less.
    /// </summary>
    public static async Task<(TimeSpan Elapsed, TimeSpan ProcessorTime, TimeSpan MachineBusy)> RunAsync(
        string type, IProcessorFactory factory, int isolates, Event template, int events, Func<TimeSpan>? processorTime = null)
    {
        processorTime ??= OwnProcessorTime;
        var dataDir = Directory.CreateTempSubdirectory($"pipeline-bench-{type}-");
        // A crash or a failed stage says why on stderr; the bench's own lines stay alone on stdout.
        using var logger = new LoggerConfiguration().MinimumLevel.Warning()
            .WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose).CreateLogger();
        var metrics = PipelineMetrics.CreateIsolated();
        using var deadLetters = new DeadLetterWriter(Path.Combine(dataDir.FullName, "dead-letter.jsonl"), "bench", logger);
        var settings = new IsolatePoolSettings { Isolates = isolates, Mailbox = events, BatchSize = BatchSize };
        var counters = metrics.ForComponent("bench", type, "processor");
        var pool = IsolatePool.ForProcessor(type, type, settings, factory, new ComponentCounters(counters), deadLetters, logger);

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

        var cpuBefore = processorTime();
        var machineBefore = MachineCpu.Busy();
        var clock = Stopwatch.StartNew();
        pool.Start(CancellationToken.None);
        await pool.Completion.ConfigureAwait(false);
        clock.Stop();
        var machine = MachineCpu.Busy() - machineBefore;
        var cpu = processorTime() - cpuBefore;

        var processed = (long)counters.Received.Value;
        var failed = (long)counters.DeadLettered.Value;
        // A stage that dead-letters its events finishes sooner: its rate would be a lie.
        if (processed != events || failed != 0)
        {
            throw new InvalidOperationException($"the {type} stage processed {processed} of {events} events and dead-lettered {failed}; see {dataDir.FullName}");
        }
        dataDir.Delete(recursive: true);
        return (clock.Elapsed, cpu, machine);
    }

    private static TimeSpan OwnProcessorTime()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }
}

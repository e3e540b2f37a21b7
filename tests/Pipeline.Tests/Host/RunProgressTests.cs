using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Host;
using Pipeline.Tests.Runtime;
using Pipeline.Topology;
using Serilog;

namespace Pipeline.Tests.Host;

public sealed class RunProgressTests
{
    private static Serilog.Core.Logger LoggerInto(CapturedLog log) => new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(log).CreateLogger();

    [Fact]
    public async Task Progress_is_logged_each_interval_with_the_totals_and_the_rate_over_that_interval()
    {
        var log = new CapturedLog();
        using var logger = LoggerInto(log);
        var time = new SteppedTimeProvider();
        var totals = new EventTotals(0, 0, 0);
        using var stop = new CancellationTokenSource();
        var reporting = RunProgress.ReportAsync(() => totals, logger, time, stop.Token);

        totals = new EventTotals(2000, 1990, 10);
        time.Tick(RunProgress.Interval);
        await log.WaitFor(e => e.RenderMessage().StartsWith("Progress:", StringComparison.Ordinal)).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await stop.CancelAsync();
        await reporting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        var line = Assert.Single(log.Events).RenderMessage();
        Assert.Equal("Progress: events in 2000, sink deliveries 1990, dead-lettered 10; 200 events/s in", line);
    }

    [Fact]
    public void A_run_that_delivered_anything_exits_0_after_its_final_count()
    {
        var log = new CapturedLog();
        using var logger = LoggerInto(log);

        var exitCode = RunProgress.Finish(new EventTotals(10, 1, 9), "parse: bad", "/data/dead-letter.jsonl", TimeSpan.FromSeconds(2), logger);

        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Equal("Run finished after 2 s: events in 10, sink deliveries 1, dead-lettered 9 (5 events/s in)", Assert.Single(log.Events).RenderMessage());
    }

    [Fact]
    public void A_run_that_dead_lettered_everything_exits_1_naming_the_count_the_first_reason_and_the_file()
    {
        var log = new CapturedLog();
        using var logger = LoggerInto(log);

        var exitCode = RunProgress.Finish(new EventTotals(10, 0, 10), "parse: not JSON", "/data/dead-letter.jsonl", TimeSpan.FromSeconds(2), logger);

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Equal(
            "Every event was dead-lettered (10 records for 10 events in, none delivered) to \"/data/dead-letter.jsonl\"; the first: \"parse: not JSON\"",
            log.Events[^1].RenderMessage());
    }

    [Fact]
    public void A_run_that_took_nothing_in_or_only_filtered_is_not_a_failure()
    {
        using var logger = LoggerInto(new CapturedLog());

        Assert.Equal(ExitCodes.Ok, RunProgress.Finish(new EventTotals(0, 0, 0), null, "dl", TimeSpan.FromSeconds(1), logger));
        Assert.Equal(ExitCodes.Ok, RunProgress.Finish(new EventTotals(5, 0, 0), null, "dl", TimeSpan.FromSeconds(1), logger));
    }

    [Theory]
    [InlineData("sources: { in: { type: stdin } }", true)]
    [InlineData("sources: { in: { type: generator, count: 5 } }", true)]
    [InlineData("sources: { in: { type: generator } }", false)]
    [InlineData("sources: { in: { type: stdin }, web: { type: http, address: \"127.0.0.1:0\" } }", false)]
    public void A_run_is_finite_when_every_source_ends_by_itself(string sources, bool finite)
    {
        var config = ConfigLoader.LoadYaml(sources + "\nsinks: { out: { type: blackhole, inputs: [in] } }\n", "t.yaml", BuiltInComponents.Create());

        Assert.Equal(finite, RunProgress.IsFinite(config));
    }

    /// <summary>A clock whose timers fire only when the test ticks it.</summary>
    private sealed class SteppedTimeProvider : TimeProvider
    {
        private readonly List<SteppedTimer> _timers = [];
        private long _timestamp = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _timestamp);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new SteppedTimer(callback, state);
            lock (_timers)
            {
                _timers.Add(timer);
            }
            return timer;
        }

        public void Tick(TimeSpan by)
        {
            Interlocked.Add(ref _timestamp, by.Ticks);
            SteppedTimer[] timers;
            lock (_timers)
            {
                timers = [.. _timers];
            }
            foreach (var timer in timers)
            {
                timer.Fire();
            }
        }

        private sealed class SteppedTimer(TimerCallback callback, object? state) : ITimer
        {
            private bool _disposed;

            public void Fire()
            {
                if (!_disposed)
                {
                    callback(state);
                }
            }

            public bool Change(TimeSpan dueTime, TimeSpan period) => !_disposed;

            public void Dispose() => _disposed = true;

            public ValueTask DisposeAsync()
            {
                _disposed = true;
                return ValueTask.CompletedTask;
            }
        }
    }
}

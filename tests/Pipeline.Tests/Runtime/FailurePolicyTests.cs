using System.Collections.Concurrent;
using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Isolates;
using Pipeline.Telemetry.Logging;
using Serilog;
using Serilog.Events;

namespace Pipeline.Tests.Runtime;

/// <summary>The one failure policy, driven directly: what it retries, how long it waits, what it dead-letters.</summary>
public sealed class FailurePolicyTests
{
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(50);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Work_that_keeps_failing_is_retried_after_jittered_waits_then_dead_lettered_with_its_reason()
    {
        var (policy, time, log) = Policy(maxAttempts: 4);
        var work = new ScriptedWork(_ => throw new InvalidOperationException("boom"));

        Assert.False(await policy.RunAsync(work, Ct));

        Assert.Equal(4, work.Attempts);
        Assert.Equal(4, work.Failures);
        Assert.Equal("InvalidOperationException: boom", work.DeadLetterReason);
        // One wait before each retry, each within [0, 50ms x 2^(retry-1)].
        Assert.Equal(3, time.Waits.Count);
        for (var retry = 1; retry <= 3; retry++)
        {
            Assert.InRange(time.Waits[retry - 1], TimeSpan.Zero, RetryBackoff.Ceiling(FirstBackoff, retry));
        }
        Assert.Equal(3, log.Events.Count(e => e.Level == LogEventLevel.Warning && e.RenderMessage().Contains("retrying", StringComparison.Ordinal)));
        var last = Assert.Single(log.Events, e => e.RenderMessage().Contains("dead-lettering", StringComparison.Ordinal));
        Assert.Equal("stage failed on work under test at attempt 4 of 4; dead-lettering it", last.RenderMessage().Replace("\"", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Work_that_recovers_within_its_attempts_succeeds_without_a_dead_letter()
    {
        var (policy, time, _) = Policy(maxAttempts: 3);
        var work = new ScriptedWork(attempt => attempt < 3 ? throw new TimeoutException("slow backend") : ValueTask.CompletedTask);

        Assert.True(await policy.RunAsync(work, Ct));

        Assert.Equal(3, work.Attempts);
        Assert.Equal(2, time.Waits.Count);
        Assert.Null(work.DeadLetterReason);
    }

    [Fact]
    public async Task A_permanent_failure_is_dead_lettered_at_once()
    {
        var (policy, time, _) = Policy(maxAttempts: 5);
        var work = new ScriptedWork(_ => throw new PermanentFailureException("HTTP 400"));

        Assert.False(await policy.RunAsync(work, Ct));

        Assert.Equal(1, work.Attempts);
        Assert.Empty(time.Waits);
        Assert.Equal("PermanentFailureException: HTTP 400", work.DeadLetterReason);
    }

    [Fact]
    public async Task A_permanent_failure_is_logged_with_its_reason_and_without_a_stack_trace()
    {
        var (policy, _, log) = Policy(maxAttempts: 5);
        var work = new ScriptedWork(_ => throw new PermanentFailureException("parse_json: field .message is missing"));

        Assert.False(await policy.RunAsync(work, Ct));

        var line = Assert.Single(log.Events);
        Assert.Null(line.Exception);
        Assert.Equal(
            "stage failed on work under test; dead-lettering it (permanent failure): parse_json: field .message is missing",
            line.RenderMessage().Replace("\"", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_corrupted_instance_and_the_hard_stop_are_not_the_policys_to_handle()
    {
        var (policy, _, _) = Policy(maxAttempts: 5);
        var corrupted = new ScriptedWork(_ => throw new InstanceCorruptedException("state broken"));
        await Assert.ThrowsAsync<InstanceCorruptedException>(() => policy.RunAsync(corrupted, Ct).AsTask());
        Assert.Equal(0, corrupted.Failures);

        using var stop = new CancellationTokenSource();
        await stop.CancelAsync();
        var stopped = new ScriptedWork(_ => throw new OperationCanceledException(stop.Token));
        await Assert.ThrowsAsync<OperationCanceledException>(() => policy.RunAsync(stopped, stop.Token).AsTask());
        Assert.Equal(0, stopped.Failures);

        // A cancellation that is not the hard stop (a component's own timeout) is an ordinary failure.
        var timedOut = new ScriptedWork(attempt => attempt == 1 ? throw new OperationCanceledException() : ValueTask.CompletedTask);
        Assert.True(await policy.RunAsync(timedOut, Ct));
        Assert.Equal(1, timedOut.Failures);
    }

    [Fact]
    public async Task Failure_lines_are_limited_per_interval_and_the_next_interval_reports_how_many_were_left_out()
    {
        var (policy, time, log) = Policy(maxAttempts: 1);
        for (var i = 0; i < 40; i++)
        {
            var work = new ScriptedWork(_ => throw new InvalidOperationException("bad input"));
            Assert.False(await policy.RunAsync(work, Ct));
            // Every event is still dead-lettered: only the lines are limited.
            Assert.NotNull(work.DeadLetterReason);
        }
        Assert.Equal(5, log.Events.Count(e => e.Level == LogEventLevel.Error && e.Exception is not null));
        Assert.DoesNotContain(log.Events, e => e.RenderMessage().Contains("left out", StringComparison.Ordinal));

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.False(await policy.RunAsync(new ScriptedWork(_ => throw new InvalidOperationException("bad input")), Ct));

        var summary = Assert.Single(log.Events, e => e.RenderMessage().Contains("left out", StringComparison.Ordinal));
        Assert.Equal(35L, ((ScalarValue)summary.Properties["Suppressed"]).Value);
        Assert.Equal(6, log.Events.Count(e => e.Level == LogEventLevel.Error && e.Exception is not null));
    }

    [Fact]
    public async Task A_sink_retries_an_outage_past_the_default_attempts_until_the_backend_is_back()
    {
        var (policy, time, _) = Policy(maxAttempts: null, sink: true);
        var work = new ScriptedWork(attempt => attempt <= 40
            ? throw new HttpRequestException("Connection refused (127.0.0.1:9200)")
            : ValueTask.CompletedTask);

        Assert.True(await policy.RunAsync(work, Ct));

        Assert.Equal(41, work.Attempts);
        Assert.Null(work.DeadLetterReason);
        // Capped: no wait is longer than retry_max_backoff.
        Assert.All(time.Waits, w => Assert.InRange(w, TimeSpan.Zero, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task A_sink_gives_an_unexpected_failure_the_default_attempts_only()
    {
        var (policy, _, _) = Policy(maxAttempts: null, sink: true);
        var work = new ScriptedWork(_ => throw new InvalidOperationException("a bug, not an outage"));

        Assert.False(await policy.RunAsync(work, Ct));

        Assert.Equal(FailurePolicy.DefaultAttempts, work.Attempts);
    }

    [Fact]
    public async Task A_processor_does_not_retry_an_outage_without_limit()
    {
        var (policy, _, _) = Policy(maxAttempts: null, sink: false);
        var work = new ScriptedWork(_ => throw new HttpRequestException("Connection refused"));

        Assert.False(await policy.RunAsync(work, Ct));

        Assert.Equal(FailurePolicy.DefaultAttempts, work.Attempts);
    }

    [Fact]
    public async Task Max_attempts_still_bounds_a_sinks_outage_where_the_user_sets_it()
    {
        var (policy, _, _) = Policy(maxAttempts: 5, sink: true);
        var work = new ScriptedWork(_ => throw new HttpRequestException("503 Service Unavailable"));

        Assert.False(await policy.RunAsync(work, Ct));

        Assert.Equal(5, work.Attempts);
    }

    [Fact]
    public async Task Retry_max_elapsed_dead_letters_an_outage_that_lasts_longer_and_says_why()
    {
        var (policy, time, _) = Policy(maxAttempts: null, sink: true, maxElapsed: TimeSpan.FromSeconds(10));
        var work = new ScriptedWork(_ => throw new TimeoutException("backend timed out"));

        Assert.False(await policy.RunAsync(work, Ct));

        var waited = time.Waits.Aggregate(TimeSpan.Zero, (sum, w) => sum + w);
        Assert.InRange(waited, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10));
        Assert.Equal("TimeoutException: backend timed out (still failing when retry_max_elapsed 00:00:10 ran out)", work.DeadLetterReason);
    }

    [Fact]
    public async Task Retry_max_elapsed_counts_from_the_start_of_the_first_attempt_including_the_time_attempts_take()
    {
        var (policy, time, _) = Policy(maxAttempts: null, sink: true, maxElapsed: TimeSpan.FromSeconds(10));
        // Each attempt runs into a 4 s timeout: 0-4 s, 4-8 s, 8-12 s; the third ends past the 10 s limit.
        var work = new ScriptedWork(_ =>
        {
            time.Advance(TimeSpan.FromSeconds(4));
            throw new TimeoutException("no response within 4s");
        });

        Assert.False(await policy.RunAsync(work, Ct));

        Assert.Equal(3, work.Attempts);
        Assert.EndsWith("(still failing when retry_max_elapsed 00:00:10 ran out)", work.DeadLetterReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_hard_stop_interrupts_a_sink_retrying_an_endless_outage_without_dead_lettering_it()
    {
        var (policy, time, log) = Policy(maxAttempts: null, sink: true);
        using var stop = new CancellationTokenSource();
        var work = new ScriptedWork(attempt =>
        {
            if (attempt == 100)
            {
                // The shutdown timeout ran out while the backend was still down.
                stop.Cancel();
            }
            throw new HttpRequestException("503 Service Unavailable");
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => policy.RunAsync(work, stop.Token).AsTask());

        Assert.Equal(100, work.Attempts);
        Assert.Null(work.DeadLetterReason);
        // A hundred failures: at most 5 retry lines per 10 s of (virtual) time, not one per attempt.
        var intervals = (int)(time.GetElapsedTime(0) / FailureLogLimiter.DefaultInterval) + 1;
        Assert.InRange(log.Events.Count(e => e.RenderMessage().Contains("retrying", StringComparison.Ordinal)), 1, 5 * intervals);
        Assert.True(intervals * 5 < 100, $"the outage lasted {intervals} intervals: too few attempts to show the limit");
    }

    [Fact]
    public async Task A_backends_retry_after_sets_the_wait_but_never_past_retry_max_backoff()
    {
        var (policy, time, _) = Policy(maxAttempts: null, sink: true);
        var work = new ScriptedWork(attempt => attempt switch
        {
            1 => throw new RetryableFailureException("429, Retry-After 0.7s") { RetryAfter = TimeSpan.FromMilliseconds(700) },
            2 => throw new RetryableFailureException("503, Retry-After an hour") { RetryAfter = TimeSpan.FromHours(1) },
            <= 5 => throw new RetryableFailureException("try again later"),
            _ => ValueTask.CompletedTask,
        });

        Assert.True(await policy.RunAsync(work, Ct));

        Assert.Equal(6, work.Attempts);
        Assert.Equal(TimeSpan.FromMilliseconds(700), time.Waits[0]);
        Assert.Equal(TimeSpan.FromSeconds(1), time.Waits[1]); // the test's retry_max_backoff
        Assert.InRange(time.Waits[2], TimeSpan.Zero, RetryBackoff.Ceiling(FirstBackoff, 3));
    }

    private static (FailurePolicy Policy, RecordingTimeProvider Time, CapturedLog Log) Policy(int? maxAttempts, bool sink = false, TimeSpan? maxElapsed = null)
    {
        var time = new RecordingTimeProvider();
        var log = new CapturedLog();
        var logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(log).CreateLogger();
        var backoff = new RetryBackoff(FirstBackoff, new Random(42), TimeSpan.FromSeconds(1));
        return (new FailurePolicy("stage", maxAttempts, backoff, time, logger) { RetriesOutages = sink, MaxElapsed = maxElapsed }, time, log);
    }

    /// <summary>Work whose attempt n runs <c>attempt(n)</c>, counting what the policy did with it.</summary>
    private sealed class ScriptedWork(Func<int, ValueTask> attempt) : IRetriedWork
    {
        public int Attempt { get; private set; } = 1;

        public int Attempts { get; private set; }

        public int Failures { get; private set; }

        public string? DeadLetterReason { get; private set; }

        public Activity? Span => null;

        public string Description => "work under test";

        public ValueTask AttemptAsync(CancellationToken stop)
        {
            Attempts++;
            return attempt(Attempt);
        }

        public void AttemptFailed() => Failures++;

        public void StartNextAttempt() => Attempt++;

        public void DeadLetter(string reason) => DeadLetterReason = reason;
    }

    /// <summary>Records every wait asked of it and ends it at once, so a test of backoff takes no time.</summary>
    private sealed class RecordingTimeProvider : TimeProvider
    {
        private readonly ConcurrentQueue<TimeSpan> _waits = new();
        private long _timestamp;

        public IReadOnlyList<TimeSpan> Waits => [.. _waits];

        /// <summary>The clock stands still unless a test moves it (waits are recorded, not waited).</summary>
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Interlocked.Read(ref _timestamp);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _timestamp, by.Ticks);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            // The wait ends at once, and the clock moves on by it, as if it had been waited.
            _waits.Enqueue(dueTime);
            Advance(dueTime);
            ThreadPool.QueueUserWorkItem(_ => callback(state));
            return new NoTimer();
        }

        private sealed class NoTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}

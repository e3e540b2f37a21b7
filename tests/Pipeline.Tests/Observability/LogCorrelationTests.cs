using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Telemetry;
using Pipeline.Tests.Runtime;
using Serilog.Events;

namespace Pipeline.Tests.Observability;

/// <summary>Every log line written while an event is handled carries that event's trace id and the span active then.</summary>
public sealed class LogCorrelationTests
{
    private static readonly FieldPath N = FieldPath.Parse(".n");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Lines_from_processors_retries_dead_letters_and_sinks_carry_the_ids_of_the_span_active_in_that_isolate()
    {
        // Ratio 0: new traces are not sampled, incoming sampled ones are.
        await using var pipeline = new ObservedPipeline(sampler: "parentbased_traceidratio", ratio: 0);
        var logger = pipeline.Logger;
        var attempts = new int[5];
        var source = new ControlledSource();
        var logging = new DelegateProcessorFactory((evt, output, isolate) =>
        {
            logger.Information("s1 handles {N} while {ActiveSpan} is active", NumberOf(evt), ActiveSpan());
            output.Emit(evt);
            return ValueTask.CompletedTask;
        });
        var failing = new DelegateProcessorFactory((evt, output, isolate) =>
        {
            var n = NumberOf(evt);
            logger.Information("s2 handles {N} while {ActiveSpan} is active", n, ActiveSpan());
            if (n == 1 && Interlocked.Increment(ref attempts[n]) == 1)
            {
                throw new TimeoutException("a lookup timed out");
            }
            if (n == 2)
            {
                throw new PermanentFailureException("the event cannot be enriched");
            }
            output.Emit(evt);
            return ValueTask.CompletedTask;
        });
        var sink = new RecordingSink
        {
            BeforeWrite = (batch, isolate) =>
            {
                foreach (var evt in batch)
                {
                    logger.Information("out delivers {N} while {ActiveSpan} is active", NumberOf(evt), ActiveSpan());
                }
                return ValueTask.CompletedTask;
            },
        };
        pipeline
            .Source("in", source)
            .Stage("s1", logging, ["in"])
            .Stage("s2", failing, ["s1"], TestPipeline.Settings(isolates: 2, maxAttempts: 3))
            .Sink("out", sink, ["s2"], TestPipeline.Settings(batchSize: 1));
        await pipeline.StartAsync();
        var context = await source.Context.WaitAsync(ObservedPipeline.HangGuard, Ct);

        // 0..2 sampled (1 fails once, 2 is dead-lettered), 3 unsampled with an incoming context, 4 with none at all.
        ActivityContext[] incoming =
        [
            Traceparents.Remote(0, sampled: true), Traceparents.Remote(1, sampled: true), Traceparents.Remote(2, sampled: true),
            Traceparents.Remote(3, sampled: false), default,
        ];
        for (var n = 0; n < incoming.Length; n++)
        {
            Assert.True(await context.SendAsync(Event.Parse($$"""{"n":{{n}}}"""), incoming[n], Ct));
        }
        source.Finish();
        await pipeline.Topology.Completion.WaitAsync(ObservedPipeline.HangGuard, Ct);
        var spans = await pipeline.StopAndCollectSpansAsync();
        var lines = pipeline.Log.Events;

        // Component lines: the ids are those of the span current when the line was written; for a sampled event that
        // is the hop span of that stage (or the delivery span), for the others the context the event carries.
        var componentLines = lines.Where(l => l.Properties.ContainsKey("ActiveSpan")).ToList();
        Assert.Equal(2 * 5 + 1 + 4, componentLines.Count); // s1 and s2 see all five, s2 sees 1 twice, out delivers four
        foreach (var line in componentLines)
        {
            var n = (int)Scalar<long>(line, "N");
            var stage = Scalar<string>(line, TelemetryNames.StageProperty);
            Assert.Equal(line.MessageTemplate.Text.Split(' ')[0], stage);
            Assert.True(line.Properties.ContainsKey(TelemetryNames.IsolateProperty), $"line '{line.RenderMessage()}' has no isolate");
            var traceId = Scalar<string>(line, TelemetryNames.TraceIdProperty);
            var activeSpan = Scalar<string>(line, "ActiveSpan");
            if (n <= 2)
            {
                Assert.Equal(incoming[n].TraceId.ToHexString(), traceId);
                Assert.Equal(activeSpan, Scalar<string>(line, TelemetryNames.SpanIdProperty));
                var expectedSpan = stage == "out"
                    ? spans.Single(s => s.DisplayName == "send out" && s.Links.Any(l => l.Context.TraceId == incoming[n].TraceId))
                    : spans.Single(s => s.DisplayName == $"process {stage}" && s.TraceId == incoming[n].TraceId);
                Assert.Equal(expectedSpan.SpanId.ToHexString(), activeSpan);
            }
            else if (n == 3)
            {
                Assert.Equal("none", activeSpan);
                Assert.Equal(incoming[3].TraceId.ToHexString(), traceId);
                Assert.Equal(incoming[3].SpanId.ToHexString(), Scalar<string>(line, TelemetryNames.SpanIdProperty));
            }
            else
            {
                Assert.Equal("none", activeSpan);
                Assert.Matches("^[0-9a-f]{32}$", traceId);
                Assert.False(line.Properties.ContainsKey(TelemetryNames.SpanIdProperty));
            }
        }
        // The event without any context got one trace id at ingest, the same on every hop.
        Assert.Single(componentLines.Where(l => Scalar<long>(l, "N") == 4).Select(l => Scalar<string>(l, TelemetryNames.TraceIdProperty)).Distinct());

        // The runtime's own lines about event 1's retry and event 2's dead-lettering, written on s2's isolates.
        var s2Of1 = spans.Single(s => s.DisplayName == "process s2" && s.TraceId == incoming[1].TraceId);
        var retry = Assert.Single(lines, l => l.Level == LogEventLevel.Warning && l.RenderMessage().Contains("retrying", StringComparison.Ordinal));
        Assert.Equal(incoming[1].TraceId.ToHexString(), Scalar<string>(retry, TelemetryNames.TraceIdProperty));
        Assert.Equal(s2Of1.SpanId.ToHexString(), Scalar<string>(retry, TelemetryNames.SpanIdProperty));
        Assert.Contains(s2Of1.Events, e => e.Name == TelemetryNames.RetryEvent);
        Assert.Equal(2, s2Of1.GetTagItem(TelemetryNames.AttemptAttribute));

        var s2Of2 = spans.Single(s => s.DisplayName == "process s2" && s.TraceId == incoming[2].TraceId);
        var deadLettered = Assert.Single(lines, l => l.Level == LogEventLevel.Error && l.RenderMessage().Contains("dead-lettering", StringComparison.Ordinal));
        Assert.Equal(incoming[2].TraceId.ToHexString(), Scalar<string>(deadLettered, TelemetryNames.TraceIdProperty));
        Assert.Equal(s2Of2.SpanId.ToHexString(), Scalar<string>(deadLettered, TelemetryNames.SpanIdProperty));
        Assert.Equal(ActivityStatusCode.Error, s2Of2.Status);
        Assert.Contains(s2Of2.Events, e => e.Name == TelemetryNames.DeadLetterEvent);
        // The failure names its exception: error.type and an exception event with its type and message.
        Assert.Equal(typeof(PermanentFailureException).FullName, s2Of2.GetTagItem(TelemetryNames.ErrorTypeAttribute));
        var exception = Assert.Single(s2Of2.Events, e => e.Name == "exception");
        Assert.Contains(exception.Tags, t => t.Key == "exception.type" && Equals(t.Value, typeof(PermanentFailureException).FullName));
        Assert.Contains(exception.Tags, t => t.Key == "exception.message" && Equals(t.Value, "the event cannot be enriched"));
        // The retried event succeeded: its span carries the retry (delay in seconds), and no error.
        var retried = Assert.Single(s2Of1.Events, e => e.Name == TelemetryNames.RetryEvent);
        Assert.IsType<double>(retried.Tags.Single(t => t.Key == TelemetryNames.RetryDelayAttribute).Value);
        Assert.Null(s2Of1.GetTagItem(TelemetryNames.ErrorTypeAttribute));
        var record = Assert.Single(pipeline.DeadLetters());
        Assert.Equal(incoming[2].TraceId.ToHexString(), record.GetProperty("trace_id").GetString());
    }

    private static long NumberOf(Event evt) => evt.Get(N).TryGetInt64(out var n) ? n : -1;

    private static string ActiveSpan() => Activity.Current?.SpanId.ToHexString() ?? "none";

    private static T Scalar<T>(LogEvent line, string property)
    {
        Assert.True(line.Properties.TryGetValue(property, out var value), $"line '{line.RenderMessage()}' has no {property}");
        return Assert.IsType<T>(Assert.IsType<ScalarValue>(value).Value);
    }
}

using BenchmarkDotNet.Attributes;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Processors.LogToMetric;
using Pipeline.Telemetry;

namespace Pipeline.Bench.Micro;

/// <summary>
/// What log_to_metric adds per event to a stage: rendering the labels, finding the (already exported) series, and
/// recording, against a stage that only sends the event on. 64 access-log events of a few dozen label sets.
/// </summary>
[MemoryDiagnoser]
public class LogToMetricBenchmarks
{
    private const int Events = 64;

    private readonly NullEmitter _emitter = new();
    private Event[] _events = null!;
    private IProcessor _counter = null!;
    private IProcessor _counterAndHistogram = null!;

    [GlobalSetup]
    public void Setup()
    {
        string[] levels = ["info", "warn", "error"];
        string[] methods = ["GET", "POST", "PUT"];
        int[] statuses = [200, 201, 404, 500];
        _events = [.. Enumerable.Range(0, Events).Select(i => Event.Parse(
            $$"""{"level":"{{levels[i % 3]}}","method":"{{methods[i % 3]}}","status":{{statuses[i % 4]}},"duration_ms":{{i * 3.5}},"kubernetes":{"namespace":"shop","pod_name":"web-{{i % 5}}"},"message":"GET /api/orders/{{i}}"}"""))];
        var counter = new LogMetricSettings
        {
            Type = LogMetricType.Counter,
            Field = FieldPath.Parse(".status"),
            Name = "http_responses_total",
            Tags = new() { ["status"] = "{{ .status }}", ["namespace"] = "{{ .kubernetes.namespace }}" },
        };
        var histogram = new LogMetricSettings
        {
            Type = LogMetricType.Histogram,
            Field = FieldPath.Parse(".duration_ms"),
            Name = "http_duration_ms",
            Buckets = [10, 50, 100, 250],
            Tags = new() { ["method"] = "{{ .method }}" },
        };
        _counter = Started(counter);
        _counterAndHistogram = Started(counter, histogram);
        foreach (var evt in _events)
        {
            _counter.ProcessAsync(evt, _emitter, CancellationToken.None);
            _counterAndHistogram.ProcessAsync(evt, _emitter, CancellationToken.None);
        }
    }

    private static IProcessor Started(params LogMetricSettings[] metrics)
    {
        var factory = (LogToMetricFactory)new LogToMetricConfig { Metrics = [.. metrics] }.Build(new ComponentContext("bench", "bench", Path.GetTempPath()));
        factory.Start(new StageRuntime(Serilog.Core.Logger.None, PipelineMetrics.CreateIsolated().ForComponent("bench", "l2m", "processor")));
        return factory.CreateForIsolate(0);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public void PassThrough()
    {
        foreach (var evt in _events)
        {
            _emitter.Emit(evt);
        }
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public void CounterWithTwoLabels()
    {
        foreach (var evt in _events)
        {
            _counter.ProcessAsync(evt, _emitter, CancellationToken.None);
        }
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public void CounterAndHistogram()
    {
        foreach (var evt in _events)
        {
            _counterAndHistogram.ProcessAsync(evt, _emitter, CancellationToken.None);
        }
    }

    private sealed class NullEmitter : IEventEmitter
    {
        public int Count { get; private set; }

        public void Emit(Event evt) => Count++;

        public void Emit(int namedOutput, Event evt) => Count++;
    }
}

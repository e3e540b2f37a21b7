using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using Pipeline.Events;
using Pipeline.Processors;
using Pipeline.Sinks;
using Pipeline.Sinks.Loki;
using Pipeline.Telemetry;

namespace Pipeline.Bench.Micro;

/// <summary>
/// What the loki sink's push body costs for a batch of 256 kubernetes log events (3 labels, 12 pods' streams, a trace
/// context each), against the http sink's NDJSON body of the same events, and the body's size plain, gzip (the sink's
/// compression) and snappy (Loki's native protobuf compression), printed once at setup.
/// </summary>
[MemoryDiagnoser]
public class LokiBenchmarks
{
    private const int BatchSize = 256;

    private Event[] _batch = null!;
    private ActivityContext[] _traces = null!;
    private JsonLinesBuffer _lines = null!;
    private LokiPushRequest _json = null!;
    private LokiPushRequest _text = null!;
    private readonly MemoryStream _gzip = new();

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _batch = [.. Enumerable.Range(0, BatchSize).Select(i => Event.Parse(
            "{\"timestamp\":\"2025-03-01T10:00:" + (i % 60).ToString("00", CultureInfo.InvariantCulture) + ".123456Z\",\"level\":\"" + (i % 10 == 0 ? "error" : "info")
            + "\",\"message\":\"GET /api/orders/" + random.Next(1000, 99999).ToString(CultureInfo.InvariantCulture) + " 200 in " + random.Next(1, 300).ToString(CultureInfo.InvariantCulture)
            + " ms\",\"user\":\"user" + i.ToString(CultureInfo.InvariantCulture) + "@example.com\",\"kubernetes\":{\"namespace\":\"shop\",\"pod_name\":\"checkout-7d9c-"
            + (i % 12).ToString(CultureInfo.InvariantCulture) + "\",\"container_name\":\"app\",\"node_name\":\"node-" + (i % 3).ToString(CultureInfo.InvariantCulture)
            + "\",\"labels\":{\"app\":\"checkout\",\"pod-template-hash\":\"7d9c\"}}}"))];
        _traces = [.. Enumerable.Range(0, BatchSize).Select(_ => new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded))];
        _lines = new JsonLinesBuffer();
        LokiLabel[] labels =
        [
            new("app", FieldTemplate.Parse("{{ .kubernetes.labels.app }}")),
            new("namespace", FieldTemplate.Parse("{{ .kubernetes.namespace }}")),
            new("pod", FieldTemplate.Parse("{{ .kubernetes.pod_name }}")),
        ];
        var counters = Enumerable.Range(0, labels.Length).Select(_ => PipelineMetrics.CreateIsolated().ForComponent("", "bench", "sink").ErrorCounter("unused")).ToArray();
        _json = new LokiPushRequest(labels, new LokiLabelValues(labels.Length, 1000), counters, "bench", textLines: false, removeLabelFields: false);
        _text = new LokiPushRequest(labels, new LokiLabelValues(labels.Length, 1000), counters, "bench", textLines: true, removeLabelFields: false);

        var body = _json.Build(_batch, _traces, DateTimeOffset.UtcNow).ToArray();
        Console.WriteLine($"// loki json body: {body.Length} bytes plain, {Gzip(body).Length} gzip (fastest), {Snappier.Snappy.CompressToArray(body).Length} snappy; ndjson body {NdjsonBody()} bytes");
    }

    [Benchmark(Baseline = true)]
    public int NdjsonBody()
    {
        _lines.Clear();
        foreach (var evt in _batch)
        {
            _lines.Append(evt);
        }
        return _lines.Length;
    }

    [Benchmark]
    public int LokiJsonBody() => _json.Build(_batch, _traces, DateTimeOffset.UtcNow).Length;

    [Benchmark]
    public int LokiTextBody() => _text.Build(_batch, _traces, DateTimeOffset.UtcNow).Length;

    [Benchmark]
    public int LokiJsonBodyGzip()
    {
        var body = _json.Build(_batch, _traces, DateTimeOffset.UtcNow);
        _gzip.SetLength(0);
        using (var gzip = new GZipStream(_gzip, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(body.Span);
        }
        return (int)_gzip.Length;
    }

    private static byte[] Gzip(byte[] body)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(body);
        }
        return output.ToArray();
    }
}

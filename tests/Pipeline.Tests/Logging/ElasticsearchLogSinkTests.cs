using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Telemetry;
using Pipeline.Telemetry.Logging;
using Prometheus;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;

namespace Pipeline.Tests.Logging;

public sealed class ElasticsearchLogSinkTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);
    private static readonly LogServiceIdentity Service = new("pipeline", "1.2.3", "instance-1", "host-a");

    // The fixture is for people to read: no \u0022 for every quote.
    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Fact]
    public async Task Bulk_body_is_ECS_NDJSON_of_create_actions_into_the_default_data_stream()
    {
        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        var counters = NewCounters();
        var logger = ShippingLogger(elasticsearch, counters);
        string activityTraceId, activitySpanId;

        logger.ForContext(TelemetryNames.TraceIdProperty, "0af7651916cd43dd8448eb211c80319c")
            .ForContext(TelemetryNames.SpanIdProperty, "b7ad6b7169203331")
            .ForContext(TelemetryNames.StageProperty, "parse")
            .ForContext(TelemetryNames.IsolateProperty, 1)
            .Information("Stage {StageId} handled {Events} events for {@Client}", "parse", 3, new { Name = "web", Port = 8080 });
        using (var activity = new Activity("hop").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            activityTraceId = activity.TraceId.ToHexString();
            activitySpanId = activity.SpanId.ToHexString();
            logger.Warning("Retrying delivery to {Sink}", "http_out");
        }
        logger.ForContext<ElasticsearchLogSinkTests>().Error(new InvalidOperationException("connection refused"), "Delivery failed");
        await logger.DisposeAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);

        var requests = elasticsearch.Requests;
        Assert.All(requests, r => Assert.Equal("POST /logs-pipeline-default/_bulk", $"{r.Method} {r.PathAndQuery}"));
        Assert.All(requests, r => Assert.Contains("ndjson", r.ContentType, StringComparison.Ordinal));
        var body = string.Concat(requests.Select(r => r.Body));
        var normalised = Normalise(body, (activityTraceId, "<activity trace id>"), (activitySpanId, "<activity span id>"));
        Assert.Equal(ReadFixture("elasticsearch-bulk-body.ndjson", normalised), normalised);
        Assert.Equal(3, counters.Exported);
        Assert.Equal(0, counters.Dropped);
    }

    [Fact]
    public async Task Full_queue_drops_and_counts_new_events_instead_of_blocking_the_caller()
    {
        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        elasticsearch.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var counters = NewCounters();
        var logger = ShippingLogger(elasticsearch, counters, queueLimit: 4);

        // The cluster answers nothing while these are written: 4 fit (queued or in flight), 5 do not.
        for (var i = 0; i < 9; i++)
        {
            logger.Information("event {Number}", i);
        }

        Assert.Equal(5, counters.Dropped);
        Assert.Equal(0, counters.Exported);
        elasticsearch.Hold.SetResult();
        await logger.DisposeAsync().AsTask().WaitAsync(Timeout, TestContext.Current.CancellationToken);
        Assert.Equal(4, counters.Exported);
        Assert.Equal(5, counters.Dropped);
    }

    [Fact]
    public async Task Items_the_cluster_rejects_are_counted_as_dropped_and_the_rest_as_exported()
    {
        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        elasticsearch.RejectedItems.Add(1);
        var counters = NewCounters();
        var sink = new ElasticsearchLogSink(new ElasticsearchLogOptions { Urls = [elasticsearch.Uri] }, Service, counters);

        await sink.EmitBatchAsync([Event("one"), Event("two"), Event("three")]).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(2, counters.Exported);
        Assert.Equal(1, counters.Dropped);
    }

    [Fact]
    public async Task Failed_bulk_request_throws_so_the_batching_queue_retries_it()
    {
        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        elasticsearch.Status = 500;
        var counters = NewCounters();
        var sink = new ElasticsearchLogSink(new ElasticsearchLogOptions { Urls = [elasticsearch.Uri] }, Service, counters);

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => sink.EmitBatchAsync([Event("one")]).WaitAsync(Timeout, TestContext.Current.CancellationToken));

        Assert.Contains("HTTP 500", failure.Message, StringComparison.Ordinal);
        Assert.Contains("logs-pipeline-default", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, counters.Exported);
        Assert.Equal(0, counters.Dropped);
    }

    [Fact]
    public async Task Api_key_and_a_custom_data_stream_are_used()
    {
        await using var elasticsearch = await FakeElasticsearch.StartAsync();
        var sink = new ElasticsearchLogSink(
            new ElasticsearchLogOptions { Urls = [elasticsearch.Uri], DataStream = "logs-pipeline-prod", ApiKey = "a2V5OnNlY3JldA==" },
            Service, NewCounters());

        await sink.EmitBatchAsync([Event("one")]).WaitAsync(Timeout, TestContext.Current.CancellationToken);

        Assert.Equal("/logs-pipeline-prod/_bulk", Assert.Single(elasticsearch.Requests).PathAndQuery);
    }

    private static Logger ShippingLogger(FakeElasticsearch elasticsearch, LogExportCounters counters, int queueLimit = 100)
    {
        var shipping = new LogShippingOptions
        {
            Elasticsearch = new ElasticsearchLogOptions { Urls = [elasticsearch.Uri] },
            Service = Service,
            BatchSizeLimit = 100,
            BufferingTimeLimit = TimeSpan.FromMilliseconds(50),
            QueueLimit = queueLimit,
        };
        return LogShippingSinks.AddTo(new LoggerConfiguration().MinimumLevel.Verbose(), shipping, counters).CreateLogger();
    }

    private static LogExportCounters NewCounters() => new(Metrics.NewCustomRegistry());

    private static LogEvent Event(string message)
        => new(DateTimeOffset.UnixEpoch, LogEventLevel.Information, null, new MessageTemplateParser().Parse(message), []);

    /// <summary>Each document with its volatile fields (time, ambient span ids, stack trace) replaced by placeholders.</summary>
    private static string Normalise(string body, params (string Value, string Placeholder)[] replacements)
    {
        var lines = new List<string>();
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var text = line;
            foreach (var (value, placeholder) in replacements)
            {
                text = text.Replace(value, placeholder, StringComparison.Ordinal);
            }
            var json = JsonNode.Parse(text)!.AsObject();
            if (json.ContainsKey("@timestamp"))
            {
                Assert.True(DateTimeOffset.TryParse(json["@timestamp"]!.GetValue<string>(), out _));
                json["@timestamp"] = "<timestamp>";
            }
            if (json["error"] is JsonObject error)
            {
                Assert.StartsWith("System.InvalidOperationException: connection refused", error["stack_trace"]!.GetValue<string>(), StringComparison.Ordinal);
                error["stack_trace"] = "<stack trace>";
            }
            lines.Add(json.ToJsonString(Readable));
        }
        return string.Join('\n', lines) + "\n";
    }

    /// <summary>The committed expected body; PIPELINE_UPDATE_FIXTURES=1 rewrites it from the actual one.</summary>
    private static string ReadFixture(string name, string actual, [CallerFilePath] string testFile = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(testFile)!, "Fixtures", name);
        if (Environment.GetEnvironmentVariable("PIPELINE_UPDATE_FIXTURES") == "1")
        {
            File.WriteAllText(path, actual);
        }
        return File.ReadAllText(path).ReplaceLineEndings("\n");
    }
}

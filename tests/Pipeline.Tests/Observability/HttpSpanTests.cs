using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Sinks;
using Pipeline.Sources.Http;
using Pipeline.Telemetry;
using Pipeline.Tests.Io;
using Pipeline.Tests.Runtime;

namespace Pipeline.Tests.Observability;

/// <summary>
/// The spans of the HTTP edges follow the OpenTelemetry HTTP conventions: the ingest span of the http source is a
/// server span with the request's method, path, route and answer; the http sink's batch span is a client span with
/// the method, full URL, server address and port, and the answer.
/// </summary>
public sealed class HttpSpanTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Http_ingest_is_a_server_span_and_the_http_sink_a_client_span_with_the_http_attributes()
    {
        await using var collector = await CapturingHttpServer.StartAsync();
        var (spans, incoming) = await RunOneEventAsync(collector);

        var trace = spans.Where(s => s.TraceId == incoming.TraceId).ToList();
        var ingest = Assert.Single(trace, s => s.DisplayName == "receive in");
        Assert.Equal(ActivityKind.Server, ingest.Kind);
        Assert.Equal(incoming.SpanId, ingest.ParentSpanId);
        Assert.Equal("POST", ingest.GetTagItem(TelemetryNames.HttpRequestMethodAttribute));
        Assert.Equal("/ingest", ingest.GetTagItem(TelemetryNames.UrlPathAttribute));
        Assert.Equal("/ingest", ingest.GetTagItem(TelemetryNames.HttpRouteAttribute));
        Assert.Equal("http", ingest.GetTagItem(TelemetryNames.UrlSchemeAttribute));
        Assert.Equal(200, ingest.GetTagItem(TelemetryNames.HttpResponseStatusCodeAttribute));

        var send = Assert.Single(trace, s => s.DisplayName == "send out" && s.Kind == ActivityKind.Producer);
        Assert.Equal(Assert.Single(trace, s => s.DisplayName == "process a").SpanId, send.ParentSpanId);
        var client = Assert.Single(trace, s => s.DisplayName == "send out" && s.Kind == ActivityKind.Client);
        Assert.Equal(send.SpanId, client.ParentSpanId);
        Assert.Equal(send.SpanId, Assert.Single(client.Links).Context.SpanId);
        Assert.Equal("POST", client.GetTagItem(TelemetryNames.HttpRequestMethodAttribute));
        Assert.Equal(collector.Uri.AbsoluteUri, client.GetTagItem(TelemetryNames.UrlFullAttribute));
        Assert.Equal(collector.Uri.Host, client.GetTagItem(TelemetryNames.ServerAddressAttribute));
        Assert.Equal(collector.Uri.Port, client.GetTagItem(TelemetryNames.ServerPortAttribute));
        Assert.Equal(200, client.GetTagItem(TelemetryNames.HttpResponseStatusCodeAttribute));
        Assert.Equal(1, client.GetTagItem(TelemetryNames.MessagingBatchMessageCountAttribute));
        Assert.Null(client.GetTagItem(TelemetryNames.ErrorTypeAttribute));
        Assert.Equal(ActivityStatusCode.Unset, client.Status);
    }

    [Fact]
    public async Task A_rejected_delivery_sets_error_type_and_an_exception_event_on_the_batch_and_the_events_send_span()
    {
        await using var collector = await CapturingHttpServer.StartAsync();
        // 400: a permanent failure, dead-lettered at once.
        collector.StatusToAnswer = 400;
        var (spans, incoming) = await RunOneEventAsync(collector);

        var trace = spans.Where(s => s.TraceId == incoming.TraceId).ToList();
        var client = Assert.Single(trace, s => s.DisplayName == "send out" && s.Kind == ActivityKind.Client);
        Assert.Equal(400, client.GetTagItem(TelemetryNames.HttpResponseStatusCodeAttribute));
        Assert.Equal("400", client.GetTagItem(TelemetryNames.ErrorTypeAttribute));
        Assert.Equal(ActivityStatusCode.Error, client.Status);
        var exception = Assert.Single(client.Events, e => e.Name == "exception");
        Assert.Contains(exception.Tags, t => t.Key == "exception.type" && Equals(t.Value, typeof(PermanentFailureException).FullName));

        var send = Assert.Single(trace, s => s.DisplayName == "send out" && s.Kind == ActivityKind.Producer);
        Assert.Equal(ActivityStatusCode.Error, send.Status);
        Assert.Equal("400", send.GetTagItem(TelemetryNames.ErrorTypeAttribute));
        Assert.Contains(send.Events, e => e.Name == TelemetryNames.DeadLetterEvent);
    }

    [Fact]
    public void The_client_span_url_has_no_user_info_and_no_query_values()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source == PipelineTracing.Source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var target = new HttpClientSpan("POST", new Uri("https://user:secret@collector.example.com:8443/v1/events?token=abc&tenant=7&flag"));
        using (var span = PipelineTracing.Source.StartActivity("http client span test", ActivityKind.Client)!)
        {
            target.RecordRequest();
            HttpClientSpan.RecordResponse(503);
            Assert.Equal("https://collector.example.com:8443/v1/events?token=*&tenant=*&flag", span.GetTagItem(TelemetryNames.UrlFullAttribute));
            Assert.Equal("collector.example.com", span.GetTagItem(TelemetryNames.ServerAddressAttribute));
            Assert.Equal(8443, span.GetTagItem(TelemetryNames.ServerPortAttribute));
            Assert.Equal("503", span.GetTagItem(TelemetryNames.ErrorTypeAttribute));
            // A later attempt that succeeds clears the error.
            HttpClientSpan.RecordResponse(200);
            Assert.Null(span.GetTagItem(TelemetryNames.ErrorTypeAttribute));
            Assert.Equal(200, span.GetTagItem(TelemetryNames.HttpResponseStatusCodeAttribute));
        }
    }

    /// <summary>Posts one sampled event to an http source, through one stage, to an http sink delivering to <paramref name="collector"/>.</summary>
    private static async Task<(IReadOnlyList<Activity> Spans, ActivityContext Incoming)> RunOneEventAsync(CapturingHttpServer collector)
    {
        var sink = new HttpSinkConfig { Uri = collector.Uri.AbsoluteUri }.Build(new ComponentContext("out", "test", Path.GetTempPath()));
        var source = new ExposedHttpSource(new HttpSourceConfig { Address = "127.0.0.1:0", Path = "/ingest" }.Build(new ComponentContext("in", "test", Path.GetTempPath())));
        await using var pipeline = new ObservedPipeline()
            .Source("in", source)
            .Stage("a", DelegateProcessorFactory.PassThrough, ["in"])
            .Sink("out", sink, ["a"], TestPipeline.Settings(batchSize: 1, maxAttempts: 1));
        await pipeline.StartAsync();
        var created = await source.Created.Task.WaitAsync(ObservedPipeline.HangGuard, Ct);
        var address = Assert.Single(await created.Listening.WaitAsync(ObservedPipeline.HangGuard, Ct));

        var incoming = Traceparents.Remote(41, sampled: true);
        using var http = new HttpClient { BaseAddress = address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/ingest") { Content = new StringContent("{\"n\":1}\n", Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        request.Headers.Add("traceparent", $"00-{incoming.TraceId.ToHexString()}-{incoming.SpanId.ToHexString()}-01");
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var spans = await pipeline.StopAndCollectSpansAsync();
        Assert.Single(collector.Requests);
        return (spans, incoming);
    }

    /// <summary>The http source's factory, handing out the source it creates so the test can learn its port.</summary>
    private sealed class ExposedHttpSource(ISourceFactory inner) : ISourceFactory
    {
        public TaskCompletionSource<HttpSource> Created { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool ReceivesRequests => inner.ReceivesRequests;

        public ISource Create()
        {
            var source = (HttpSource)inner.Create();
            Created.TrySetResult(source);
            return source;
        }
    }
}

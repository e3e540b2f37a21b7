using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Security;
using Pipeline.Sinks.Elasticsearch;
using static Pipeline.Tests.Runtime.TestEvents;

namespace Pipeline.Tests.Elasticsearch;

/// <summary>The elasticsearch sink against an in-process endpoint that answers as <c>_bulk</c> does: the wire format and each answer's outcome.</summary>
public sealed class ElasticsearchSinkTests : IAsyncLifetime
{
    private FakeBulkEndpoint _es = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _es = await FakeBulkEndpoint.StartAsync();

    public async ValueTask DisposeAsync() => await _es.DisposeAsync();

    [Fact]
    public async Task Data_stream_mode_creates_each_event_in_type_dataset_namespace_rendered_per_event()
    {
        await using var sink = Build(c => c.DataStream = new ElasticsearchDataStreamSettings { Dataset = "{{ .service }}", Namespace = "prod" });

        await sink.WriteAsync([Event.Parse("""{"seq":1,"service":"checkout","timestamp":"2026-12-04T10:00:00.123456789Z"}"""), Event.Parse("""{"seq":2,"service":"cart"}""")], Ct);

        var request = Assert.Single(_es.Requests);
        Assert.Equal("application/x-ndjson", request.Headers["Content-Type"]);
        Assert.Equal([("create", "logs-checkout-prod"), ("create", "logs-cart-prod")], request.Items.Select(i => (i.Action, i.Index)));
        Assert.All(request.Items, i => Assert.Null(i.Id));
        // The event as it is, with @timestamp copied from its timestamp, first.
        Assert.Equal("""{"@timestamp":"2026-12-04T10:00:00.123456789Z","seq":1,"service":"checkout","timestamp":"2026-12-04T10:00:00.123456789Z"}""", request.Items[0].DocumentJson);
        Assert.True(DateTimeOffset.TryParse(request.Items[1].Document.GetProperty("@timestamp").GetString(), out _), "an event without a timestamp gets the time it is sent");
    }

    [Fact]
    public async Task Bulk_mode_indexes_into_the_index_dated_by_each_events_own_timestamp()
    {
        await using var sink = Build(c =>
        {
            c.Mode = ElasticsearchSinkConfig.WriteMode.Bulk;
            c.Bulk = new ElasticsearchBulkSettings { Index = "app-{{ .service }}-%Y.%m.%d" };
        });

        await sink.WriteAsync(
        [
            Event.Parse("""{"seq":1,"service":"web","timestamp":"2026-12-03T23:59:59Z"}"""),
            Event.Parse("""{"seq":2,"service":"web","@timestamp":"2026-12-04T00:00:01+00:00"}"""),
            Event.Parse("""{"seq":3,"service":"web","timestamp":"2026-12-04T01:30:00+02:00"}"""),
        ], Ct);

        Assert.Equal([("index", "app-web-2026.12.03"), ("index", "app-web-2026.12.04"), ("index", "app-web-2026.12.03")],
            Assert.Single(_es.Requests).Items.Select(i => (i.Action, i.Index)));
    }

    [Fact]
    public async Task Ecs_encoding_moves_the_known_fields_to_ecs_names_and_takes_trace_and_span_id_from_the_trace_context()
    {
        await using var sink = Build(c => c.Encoding = ElasticsearchDocumentEncoding.Ecs);
        var trace = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        var evt = Event.Parse("""
            {"timestamp":"2026-12-04T10:00:00Z","message":"paid","level":"info","service":"checkout","host":"node-1","seq":7,
             "kubernetes":{"pod_name":"checkout-7d","pod_uid":"u-1","pod_namespace":"shop","pod_node_name":"node-1","container_name":"app","container_id":"containerd://abc","pod_labels":{"app":"checkout"}}}
            """);

        await ((ITracePropagatingSink)sink).WriteAsync([evt], [trace], Ct);

        var document = Assert.Single(Assert.Single(_es.Requests).Items).Document;
        Assert.Equal("2026-12-04T10:00:00Z", document.GetProperty("@timestamp").GetString());
        Assert.Equal("paid", document.GetProperty("message").GetString());
        Assert.Equal("info", document.GetProperty("log").GetProperty("level").GetString());
        Assert.Equal(trace.TraceId.ToHexString(), document.GetProperty("trace").GetProperty("id").GetString());
        Assert.Equal(trace.SpanId.ToHexString(), document.GetProperty("span").GetProperty("id").GetString());
        Assert.Equal("checkout", document.GetProperty("service").GetProperty("name").GetString());
        Assert.Equal("node-1", document.GetProperty("host").GetProperty("name").GetString());
        var kubernetes = document.GetProperty("kubernetes");
        Assert.Equal("checkout-7d", kubernetes.GetProperty("pod").GetProperty("name").GetString());
        Assert.Equal("u-1", kubernetes.GetProperty("pod").GetProperty("uid").GetString());
        Assert.Equal("shop", kubernetes.GetProperty("namespace").GetString());
        Assert.Equal("node-1", kubernetes.GetProperty("node").GetProperty("name").GetString());
        Assert.Equal("app", kubernetes.GetProperty("container").GetProperty("name").GetString());
        Assert.Equal("checkout", kubernetes.GetProperty("labels").GetProperty("app").GetString());
        Assert.Equal("containerd://abc", document.GetProperty("container").GetProperty("id").GetString());
        // Other fields stay as they are; the moved ones are not there twice.
        Assert.Equal(7, document.GetProperty("seq").GetInt32());
        Assert.False(document.TryGetProperty("timestamp", out _));
        Assert.False(document.TryGetProperty("level", out _));
    }

    [Fact]
    public async Task Per_document_outcomes_dead_letter_the_refused_retry_the_rejected_for_now_and_settle_the_rest()
    {
        _es.ItemStatus = item => item.Seq switch { 2 => 400, 3 => 429, 4 => 503, _ => 201 };
        await using var sink = Build();

        var failure = await Assert.ThrowsAsync<PartialDeliveryException>(async () => await sink.WriteAsync([Seq(1), Seq(2), Seq(3), Seq(4), Seq(5)], Ct));

        Assert.Equal([(1, false), (2, true), (3, true)], failure.Failures.Select(f => (f.Index, f.Retryable)));
        Assert.Contains("400: document_parsing_exception: rejected by test with 400", failure.Failures[0].Reason, StringComparison.Ordinal);
        Assert.Contains("'logs-generic-default'", failure.Failures[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_conflict_on_create_with_an_id_counts_as_delivered_because_an_earlier_attempt_wrote_it()
    {
        _es.ItemStatus = item => item.Seq == 1 ? 409 : 201;
        await using var sink = Build(c => c.IdField = ".seq");

        await sink.WriteAsync([Seq(1), Seq(2)], Ct);

        Assert.Equal(["1", "2"], Assert.Single(_es.Requests).Items.Select(i => i.Id));
    }

    [Fact]
    public async Task A_conflict_on_index_without_an_id_is_refused()
    {
        _es.ItemStatus = item => item.Seq == 1 ? 409 : 201;
        await using var sink = Build(c => c.Mode = ElasticsearchSinkConfig.WriteMode.Bulk);

        var failure = await Assert.ThrowsAsync<PartialDeliveryException>(async () => await sink.WriteAsync([Seq(1), Seq(2)], Ct));

        Assert.Equal((0, false), (Assert.Single(failure.Failures).Index, failure.Failures[0].Retryable));
        Assert.Contains("version_conflict_engine_exception", failure.Failures[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_whose_index_cannot_be_made_is_refused_with_the_reason_and_left_out_of_the_request()
    {
        await using var sink = Build(c => c.DataStream = new ElasticsearchDataStreamSettings { Dataset = "{{ .service }}" });

        var failure = await Assert.ThrowsAsync<PartialDeliveryException>(async () =>
            await sink.WriteAsync([Event.Parse("""{"seq":1,"service":"web"}"""), Seq(2), Event.Parse("""{"seq":3,"service":"Web App"}""")], Ct));

        Assert.Equal([0], Assert.Single(_es.Requests).Items.Select(i => i.Seq - 1));
        Assert.Equal([1, 2], failure.Failures.Select(f => f.Index));
        Assert.All(failure.Failures, f => Assert.False(f.Retryable));
        Assert.Equal("data stream template \"logs-{{ .service }}-default\" needs .service, and the event has none", failure.Failures[0].Reason);
        Assert.Contains("made 'logs-Web App-default', which is not an Elasticsearch index name", failure.Failures[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_whole_request_429_with_retry_after_is_a_retryable_failure_that_carries_the_wait()
    {
        _es.AnswerNextWith(429, retryAfter: "7");
        await using var sink = Build();

        var failure = await Assert.ThrowsAsync<RetryableFailureException>(async () => await sink.WriteAsync([Seq(1)], Ct));

        Assert.Equal(TimeSpan.FromSeconds(7), failure.RetryAfter);
        await sink.WriteAsync([Seq(1)], Ct);
        Assert.Equal([1], _es.Accepted.Select(i => i.Seq));
    }

    [Fact]
    public async Task A_whole_request_5xx_is_an_outage_retried_until_it_succeeds()
    {
        _es.AnswerNextWith(503);
        await using var sink = Build();

        var failure = await Assert.ThrowsAsync<HttpRequestException>(async () => await sink.WriteAsync([Seq(1)], Ct));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failure.StatusCode);
        await sink.WriteAsync([Seq(1)], Ct);
        Assert.Equal([1], _es.Accepted.Select(i => i.Seq));
    }

    [Fact]
    public async Task A_whole_request_401_is_refused_for_good_with_elasticsearchs_error()
    {
        _es.AnswerNextWith(401);
        await using var sink = Build();

        var failure = await Assert.ThrowsAsync<PermanentFailureException>(async () => await sink.WriteAsync([Seq(1)], Ct));

        Assert.Contains("answered 401", failure.Message, StringComparison.Ordinal);
        Assert.Contains("rejected by test", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Basic_auth_sends_the_user_and_the_password_from_the_environment()
    {
        await using var sink = Build(c => c.Auth = new ClientAuthSettings { Strategy = ClientAuthStrategy.Basic, User = "writer", PasswordEnv = "ES_PASSWORD" },
            new Dictionary<string, string> { ["ES_PASSWORD"] = "s3cret" });

        await sink.WriteAsync([Seq(1)], Ct);

        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("writer:s3cret")), Assert.Single(_es.Requests).Headers["Authorization"]);
    }

    [Fact]
    public async Task Api_key_auth_sends_the_key_from_its_file()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "a2V5LWlkOmtleQ==\n", Ct);
        try
        {
            await using var sink = Build(c => c.Auth = new ClientAuthSettings { Strategy = ClientAuthStrategy.ApiKey, ApiKeyFile = file });

            await sink.WriteAsync([Seq(1)], Ct);

            Assert.Equal("ApiKey a2V5LWlkOmtleQ==", Assert.Single(_es.Requests).Headers["Authorization"]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Bearer_auth_sends_the_token_from_the_environment()
    {
        await using var sink = Build(c => c.Auth = new ClientAuthSettings { Strategy = ClientAuthStrategy.Bearer, TokenEnv = "ES_TOKEN" },
            new Dictionary<string, string> { ["ES_TOKEN"] = "t0ken" });

        await sink.WriteAsync([Seq(1)], Ct);

        Assert.Equal("Bearer t0ken", Assert.Single(_es.Requests).Headers["Authorization"]);
    }

    [Fact]
    public async Task Ecs_encoding_of_an_otlp_log_record_takes_the_level_from_severity_text_and_the_service_from_its_resource()
    {
        await using var sink = Build(c => c.Encoding = ElasticsearchDocumentEncoding.Ecs);
        var record = Event.Parse("""
            {"message":"paid","severity_text":"WARN","severity_number":13,"timestamp":"2026-12-04T10:00:00.000000001Z",
             "resources":{"service.name":"checkout"},"attributes":{"order":7}}
            """);

        await sink.WriteAsync([record], Ct);

        var document = Assert.Single(Assert.Single(_es.Requests).Items).Document;
        Assert.Equal("WARN", document.GetProperty("log").GetProperty("level").GetString());
        Assert.Equal("checkout", document.GetProperty("service").GetProperty("name").GetString());
        Assert.Equal("2026-12-04T10:00:00.000000001Z", document.GetProperty("@timestamp").GetString());
        Assert.Equal(7, document.GetProperty("attributes").GetProperty("order").GetInt32());
        Assert.Equal("checkout", document.GetProperty("resources").GetProperty("service.name").GetString());
        Assert.False(document.TryGetProperty("severity_text", out _));
        Assert.False(document.TryGetProperty("trace", out _));
    }

    [Fact]
    public async Task Gzip_compresses_the_body_and_says_so()
    {
        await using var sink = Build(c => c.Compression = ElasticsearchSinkConfig.BodyCompression.Gzip);

        await sink.WriteAsync([Seq(1), Seq(2)], Ct);

        var request = Assert.Single(_es.Requests);
        Assert.Equal("gzip", request.Headers["Content-Encoding"]);
        Assert.Equal([1, 2], request.Items.Select(i => i.Seq));
    }

    [Fact]
    public async Task A_request_that_finds_the_first_endpoint_down_goes_to_the_next()
    {
        var down = new Uri($"http://127.0.0.1:{ClosedPort()}/");
        await using var sink = Build(c => c.Endpoints = [down.ToString(), _es.Uri.ToString()]);

        await sink.WriteAsync([Seq(1)], Ct);
        await sink.WriteAsync([Seq(2)], Ct);

        Assert.Equal([1, 2], _es.Accepted.Select(i => i.Seq));
    }

    [Fact]
    public async Task A_request_that_a_node_answers_with_503_is_tried_on_the_next_node()
    {
        await using var other = await FakeBulkEndpoint.StartAsync();
        _es.AnswerNextWith(503);
        await using var sink = Build(c => c.Endpoints = [_es.Uri.ToString(), other.Uri.ToString()]);

        await sink.WriteAsync([Seq(1)], Ct);

        Assert.Equal([503], _es.Requests.Select(r => r.Status));
        Assert.Equal([1], other.Accepted.Select(i => i.Seq));
    }

    [Fact]
    public async Task No_endpoint_answering_is_an_outage_retried_as_a_whole()
    {
        await using var sink = Build(c => c.Endpoints = [$"http://127.0.0.1:{ClosedPort()}/"]);

        await Assert.ThrowsAsync<HttpRequestException>(async () => await sink.WriteAsync([Seq(1)], Ct));
    }

    private ISink Build(Action<ElasticsearchSinkConfig>? configure = null, Dictionary<string, string>? environment = null)
    {
        var config = new ElasticsearchSinkConfig { Endpoints = [_es.Uri.ToString()] };
        configure?.Invoke(config);
        var context = new ComponentContext("out", "test", Path.GetTempPath()) { Environment = name => environment?.GetValueOrDefault(name) };
        return config.Build(context).CreateForIsolate(0);
    }

    /// <summary>A loopback port nothing listens on: bound, read, and released.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests;

/// <summary>
/// Everything the scenarios observe, started once for the collection on free loopback ports:
/// <list type="bullet">
/// <item>the OTLP receiver (Aspire dashboard);</item>
/// <item><see cref="Normal"/>: a healthy pipeline (http → keep → scrub → wait (20 ms) → by_level → out, 2+ isolates per
/// stage, a batching http sink), spans over OTLP/gRPC and logs over OTLP/HTTP-protobuf;</item>
/// <item><see cref="Sick"/>: a pipeline built to trip every alert (a parse stage that dead-letters bad JSON, a 6 s stage
/// behind a full mailbox, a sink whose backend is down, an isolate that keeps crashing, a span queue too small for
/// its sampled traffic, a guarded TLS source whose certificate expires in 2 days and whose clients send a wrong
/// token), spans over OTLP/HTTP-protobuf and logs over OTLP/gRPC;</item>
/// <item>one Prometheus scraping both (and a target nobody listens on) every second, evaluating a copy of
/// deploy/prometheus/rules whose alert <c>for:</c> durations are shortened to <see cref="ShortFor"/> so alerts fire
/// within the test; everything else in the rules is as shipped.</item>
/// </list>
/// Background load runs until the collection ends, so rates stay above zero while the scenarios query them.
/// <see cref="TracedEvents"/> is the 200 events with their own sampled traceparents posted to Normal at start.
/// </summary>
public sealed class ObservedStack : IAsyncLifetime
{
    public const string ShortFor = "5s";
    public const int TracedEventCount = 200;

    private readonly CancellationTokenSource _stopLoad = new();
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(30) };

    // The guarded source's clients: its certificate is self-signed and short-lived on purpose, so only the test trusts it.
    private readonly HttpClient _guardedClient = new(new SocketsHttpHandler
    {
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    }) { Timeout = TimeSpan.FromSeconds(30) };

    private readonly string _guardedSecrets = Path.Combine(Path.GetTempPath(), "pipeline-it-guarded-" + Guid.NewGuid().ToString("N"));
    private Task? _load;

    internal OtlpReceiver Receiver { get; private set; } = null!;

    internal HttpCollector Collector { get; private set; } = null!;

    internal PipelineProcess Normal { get; private set; } = null!;

    internal PipelineProcess Sick { get; private set; } = null!;

    internal PrometheusServer Prometheus { get; private set; } = null!;

    internal Uri NormalIngest { get; private set; } = null!;

    internal Uri SickIngest { get; private set; } = null!;

    /// <summary>The sick pipeline's https source with a bearer token nobody here sends right.</summary>
    internal Uri GuardedIngest { get; private set; } = null!;

    /// <summary>host:port of a scrape target nothing listens on (PipelineTargetDown).</summary>
    internal string DownTarget { get; private set; } = "";

    /// <summary>The trace ids of the 200 traced events, in the order they were posted.</summary>
    internal IReadOnlyList<string> TracedEvents { get; private set; } = [];

    /// <summary>Whether the machine has what the scenarios need; else why not (the tests skip saying so).</summary>
    internal static string? Missing =>
        PrometheusServer.Executable is null ? "prometheus is not installed (Debian package 'prometheus'; .ci/run installs it)" : null;

    public async ValueTask InitializeAsync()
    {
        if (Missing is not null)
        {
            return;
        }
        var receiverStarting = OtlpReceiver.StartAsync();
        var collectorStarting = HttpCollector.StartAsync();
        _kafka = new Pipeline.Tests.Support.MockKafkaCluster();
        FillKafkaBacklog();
        Receiver = await receiverStarting;
        Collector = await collectorStarting;

        var normalIngestPort = FreePort.Next();
        var sickIngestPort = FreePort.Next();
        NormalIngest = new Uri($"http://127.0.0.1:{normalIngestPort}/v1/events");
        SickIngest = new Uri($"http://127.0.0.1:{sickIngestPort}/v1/events");
        var guardedPort = FreePort.Next();
        GuardedIngest = new Uri($"https://127.0.0.1:{guardedPort}/v1/events");
        var normalStarting = PipelineProcess.StartAsync("normal", NormalTopology(normalIngestPort));
        WriteBacklog();
        WriteGuardedSecrets();
        var sickStarting = PipelineProcess.StartAsync("sick", SickTopology(sickIngestPort, guardedPort));
        var prometheusStarting = PrometheusServer.StartAsync("rules", PrometheusServer.RepositoryRulesWithShortFor(ShortFor));
        Normal = await normalStarting;
        Sick = await sickStarting;
        Prometheus = await prometheusStarting;
        DownTarget = $"127.0.0.1:{FreePort.Next()}";
        await Prometheus.SetTargetsAsync(Normal.AdminTarget, Sick.AdminTarget, DownTarget);

        TracedEvents = await PostTracedEventsAsync();
        _load = Task.Run(() => RunLoadAsync(_stopLoad.Token));
    }

    public async ValueTask DisposeAsync()
    {
        await _stopLoad.CancelAsync();
        if (_load is not null)
        {
            await _load;
        }
        foreach (var part in new IAsyncDisposable?[] { Normal, Sick, Prometheus, Collector, Receiver })
        {
            if (part is not null)
            {
                await part.DisposeAsync();
            }
        }
        _kafka?.Dispose();
        _client.Dispose();
        _guardedClient.Dispose();
        _stopLoad.Dispose();
        if (Directory.Exists(_guardedSecrets))
        {
            Directory.Delete(_guardedSecrets, recursive: true);
        }
        if (Directory.Exists(_sickLogs))
        {
            Directory.Delete(_sickLogs, recursive: true);
        }
    }

    /// <summary>A new W3C traceparent with the sampled flag, and its trace id.</summary>
    internal static (string TraceParent, string TraceId) NewSampledTraceParent()
    {
        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var spanId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        return ($"00-{traceId}-{spanId}-01", traceId);
    }

    /// <summary>Posts NDJSON lines to an http source; the status code.</summary>
    internal async Task<int> PostAsync(Uri ingest, IEnumerable<string> lines, CancellationToken cancellationToken = default)
    {
        using var content = new StringContent(string.Join('\n', lines) + "\n", Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        using var response = await _client.PostAsync(ingest, content, cancellationToken);
        return (int)response.StatusCode;
    }

    private async Task<IReadOnlyList<string>> PostTracedEventsAsync()
    {
        var traceIds = new List<string>(TracedEventCount);
        var lines = new List<string>(TracedEventCount);
        for (var i = 0; i < TracedEventCount; i++)
        {
            var (traceParent, traceId) = NewSampledTraceParent();
            traceIds.Add(traceId);
            var level = i % 4 == 0 ? "error" : "info";
            lines.Add($$"""{"traceparent":"{{traceParent}}","level":"{{level}}","message":"traced {{i}} from ada@example.com","seq":{{i}}}""");
        }
        // In four requests, so the http source's own batching and the sink's batches mix events of several requests.
        foreach (var chunk in lines.Chunk(50))
        {
            var status = await PostAsync(NormalIngest, chunk, TestContext.Current.CancellationToken);
            if (status != 200)
            {
                throw new InvalidOperationException($"posting the traced events answered {status}:\n{Normal.Tail()}");
            }
        }
        return traceIds;
    }

    /// <summary>
    /// Steady, unsampled load: 20 events/s to Normal (levels mixed; debug ones are filtered), 20 events/s to Sick
    /// (valid JSON in <c>.raw</c>, every fourth with a sampled traceparent so its small span queue overflows).
    /// </summary>
    private async Task RunLoadAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        var seq = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var normal = new List<string>(5);
                var sick = new List<string>(5);
                for (var i = 0; i < 5; i++, seq++)
                {
                    var level = (seq % 10) switch { 0 => "error", 1 => "debug", 2 => "warn", _ => "info" };
                    normal.Add($$"""{"level":"{{level}}","message":"load {{seq}} for bob@example.com","seq":{{seq}}}""");
                    var raw = JsonSerializer.Serialize(new { level, seq });
                    sick.Add(seq % 4 == 0
                        ? JsonSerializer.Serialize(new { traceparent = NewSampledTraceParent().TraceParent, raw })
                        : JsonSerializer.Serialize(new { raw }));
                }
                // Answers other than 200 are expected from Sick (429 while its slow branch pushes back); the load just goes on.
                await Task.WhenAll(PostQuietlyAsync(NormalIngest, normal, stop), PostQuietlyAsync(SickIngest, sick, stop), PostWithWrongTokenAsync(stop));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The collection is over.
        }
    }

    private async Task PostQuietlyAsync(Uri ingest, IEnumerable<string> lines, CancellationToken stop)
    {
        try
        {
            await PostAsync(ingest, lines, stop);
        }
        catch (HttpRequestException)
        {
            // A pipeline being stopped at the end of the collection.
        }
    }

    /// <summary>A client left behind by a token rotation: every request is refused 401 (PipelineAuthFailures).</summary>
    private async Task PostWithWrongTokenAsync(CancellationToken stop)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, GuardedIngest) { Content = new StringContent("{\"n\":1}\n", Encoding.UTF8, "application/x-ndjson") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        try
        {
            using var response = await _guardedClient.SendAsync(request, stop);
        }
        catch (HttpRequestException)
        {
            // A pipeline being stopped at the end of the collection.
        }
    }

    /// <summary>
    /// The guarded source's certificate, valid for 2 more days (PipelineTlsCertificateExpiringSoon), and its tokens
    /// file with one token the load never sends.
    /// </summary>
    private void WriteGuardedSecrets()
    {
        Directory.CreateDirectory(_guardedSecrets);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        File.WriteAllText(Path.Combine(_guardedSecrets, "tls.crt"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_guardedSecrets, "tls.key"), key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(_guardedSecrets, "tokens"), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) + "\n");
    }

    private string NormalTopology(int ingestPort) => $$"""
        name: it-normal
        data_dir: {data_dir}
        shutdown_timeout: 10s
        admin: { address: "{admin}" }
        telemetry:
          traces:
            exporter: otlp
            endpoint: {{Receiver.GrpcEndpoint}}
            protocol: grpc
            ratio: 0                 # only the traced events (sampled parents) make spans
            scheduled_delay: 200ms
          logs:
            otlp_enabled: true
            otlp_endpoint: {{Receiver.HttpEndpoint}}
            otlp_protocol: http_protobuf
            batch_timeout: 200ms
        sources:
          ingest: { type: http, address: "127.0.0.1:{{ingestPort}}" }
        stages:
          keep:     { type: filter, inputs: [ingest], condition: '.level != "debug"', isolates: 2 }
          scrub:    { type: redact, inputs: [keep], fields: [.message], presets: [email], isolates: 2 }
          wait:     { type: delay, inputs: [scrub], duration: 20ms, isolates: 4 }
          by_level:
            type: route
            inputs: [wait]
            isolates: 2
            routes:
              errors: '.level == "error"'
        sinks:
          # Two route outputs into one sink: two edges of the node graph.
          out:
            type: http
            inputs: [by_level.errors, by_level._unmatched]
            uri: {{Collector.Address}}
            batch_size: 50
            batch_timeout: 200ms
            isolates: 2
        """;

    /// <summary>The Kafka cluster the sick pipeline relays through (the dashboards' Kafka row needs a consumer to show).</summary>
    private Pipeline.Tests.Support.MockKafkaCluster? _kafka;

    /// <summary>More records than PipelineKafkaConsumerLagHigh's 100k, for the sick pipeline's crawling consumer.</summary>
    private void FillKafkaBacklog()
    {
        using var producer = new Confluent.Kafka.ProducerBuilder<Confluent.Kafka.Null, byte[]>(
            new Confluent.Kafka.ProducerConfig { BootstrapServers = _kafka!.BootstrapServers, LingerMs = 20 }).SetLogHandler((_, _) => { }).Build();
        var value = "{\"level\":\"info\",\"message\":\"backlog\"}"u8.ToArray();
        for (var i = 0; i < 150_000; i++)
        {
            while (true)
            {
                try
                {
                    producer.Produce("backlog", new Confluent.Kafka.Message<Confluent.Kafka.Null, byte[]> { Value = value });
                    break;
                }
                catch (Confluent.Kafka.ProduceException<Confluent.Kafka.Null, byte[]> e) when (e.Error.Code == Confluent.Kafka.ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(50));
                }
            }
        }
        if (producer.Flush(TimeSpan.FromSeconds(60)) != 0)
        {
            throw new InvalidOperationException("the mock cluster did not take the Kafka backlog within 60s");
        }
    }

    /// <summary>The node logs the sick pipeline's file source cannot keep up with: more than PipelineFileLagHigh's 32MiB.</summary>
    private readonly string _sickLogs = Path.Combine(Path.GetTempPath(), "pipeline-it-sick-logs", Guid.NewGuid().ToString("N"));

    private void WriteBacklog()
    {
        Directory.CreateDirectory(_sickLogs);
        var line = System.Text.Encoding.UTF8.GetBytes("{\"level\":\"info\",\"message\":\"" + new string('x', 200) + "\"}\n");
        using var backlog = File.Create(Path.Combine(_sickLogs, "backlog.log"));
        for (var written = 0L; written < 48L * 1024 * 1024; written += line.Length)
        {
            backlog.Write(line);
        }
    }

    private string SickTopology(int ingestPort, int guardedPort) => $$"""
        name: it-sick
        data_dir: {data_dir}
        shutdown_timeout: 5s
        admin: { address: "{admin}" }
        telemetry:
          traces:
            exporter: otlp
            endpoint: {{Receiver.HttpEndpoint}}
            protocol: http/protobuf
            ratio: 0
            max_queue_size: 4        # too small for its sampled traffic: spans are dropped and counted
            max_export_batch_size: 4
            scheduled_delay: 2s
          logs:
            otlp_enabled: true
            otlp_endpoint: {{Receiver.GrpcEndpoint}}
            otlp_protocol: grpc
            batch_timeout: 200ms
        sources:
          ingest: { type: http, address: "127.0.0.1:{{ingestPort}}" }
          trickle: { type: generator, rate: 5 }
          sparks: { type: generator, rate: 20 }
          flood: { type: generator, rate: 2000 }
          tail: { type: file, include: ["{{_sickLogs}}/*.log"] }   # into the hoarding sink: it stalls with its files' lag
          relay: { type: generator, rate: 50 }                      # through Kafka and back: the dashboards' Kafka row
          from_kafka: { type: kafka, bootstrap_servers: "{{_kafka!.BootstrapServers}}", group_id: it-sick, topics: [relay], commit_interval: 1s, session_timeout: 6s }
          backlog:                   # 150k records behind a sink that is down: its lag stays over PipelineKafkaConsumerLagHigh's 100k
            type: kafka
            bootstrap_servers: "{{_kafka!.BootstrapServers}}"
            group_id: it-sick-backlog
            topics: [backlog]
            session_timeout: 6s
          guarded:                   # its certificate expires in 2 days, and its clients send a wrong token
            type: http
            address: "https://127.0.0.1:{{guardedPort}}"
            tls: { cert_file: "{{_guardedSecrets}}/tls.crt", key_file: "{{_guardedSecrets}}/tls.key" }
            auth: { strategy: bearer, tokens_file: "{{_guardedSecrets}}/tokens" }
        stages:
          parse:
            type: parse_json
            inputs: [ingest]
            field: .raw
            target: .
            drop_source: true
            max_attempts: 1
          slow:                      # slower than its input: a full mailbox, a stage and an end-to-end latency over their SLOs
            type: delay
            inputs: [trickle]
            duration: 6s
            mailbox: 4
            batch_size: 1
          crashy:                    # its isolate crashes every 40 events and is restarted: a restart loop
            type: fault
            inputs: [sparks]
            crash_every: 40
            max_restarts: 10000         # the most a config may ask: far above the 30 a minute it makes
        sinks:
          fine: { type: blackhole, inputs: [parse, crashy, guarded, from_kafka] }
          to_kafka: { type: kafka, inputs: [relay], bootstrap_servers: "{{_kafka!.BootstrapServers}}", topic: relay }
          late: { type: blackhole, inputs: [slow] }   # every event it gets is 6 s old: end-to-end latency over its SLO
          down:                      # its backend is not there: every delivery fails, is retried, then dead-lettered
            type: http
            inputs: [parse]
            uri: http://127.0.0.1:{{FreePort.Next()}}/ingest
            max_attempts: 2
            retry_backoff: 10ms
            timeout: 1s
          stuck:                     # its backend is not there and it keeps retrying: the Kafka backlog stays in Kafka
            type: http
            inputs: [backlog]
            uri: http://127.0.0.1:{{FreePort.Next()}}/ingest
            retry_backoff: 1s
            timeout: 1s
            mailbox: 16
          hoarding:                  # its backend is not there and it keeps retrying: its small disk buffer fills up
            type: http
            inputs: [flood, tail]
            uri: http://127.0.0.1:{{FreePort.Next()}}/ingest
            retry_backoff: 1s
            timeout: 1s
            buffer: { type: disk, max_size: 1MiB }
        """;
}

[CollectionDefinition(Name)]
public sealed class ObservedStackCollection : ICollectionFixture<ObservedStack>
{
    public const string Name = "observed stack";
}

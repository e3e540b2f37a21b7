using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DotNet.Testcontainers.Builders;
using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests.Containers;

/// <summary>
/// The loki sink against a real Loki (the compose stack's image): pushed events come back from LogQL with their
/// labels, and filtered by their trace id, which they carry as structured metadata.
/// </summary>
public sealed class LokiContainerTests
{
    private const string Image = "grafana/loki:3.5.0";

    [Fact]
    public async Task Pushed_events_are_found_by_their_labels_and_by_their_trace_id_in_structured_metadata()
    {
        Assert.SkipUnless(DockerAvailability.IsAvailable, DockerAvailability.SkipReason);
        var ct = TestContext.Current.CancellationToken;
        await using var loki = new ContainerBuilder(Image)
            .WithCommand("-config.file=/etc/loki/local-config.yaml")
            .WithPortBinding(3100, true)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(3100).ForPath("/ready")))
            .Build();
        await loki.StartAsync(ct);
        var url = $"http://{loki.Hostname}:{loki.GetMappedPublicPort(3100)}";
        using var query = new HttpClient { BaseAddress = new Uri(url + "/") };

        var ingestPort = FreePort.Next();
        await using var pipeline = await PipelineProcess.StartAsync("loki", $$$"""
            name: it-loki
            data_dir: {data_dir}
            admin: { address: "{admin}" }
            sources:
              in: { type: http, address: "127.0.0.1:{{{ingestPort}}}" }
            sinks:
              out:
                type: loki
                inputs: [in]
                endpoint: "{{{url}}}"
                labels: { app: "{{ .app }}", test: it-loki }
            """);
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using (var client = new HttpClient())
        using (var body = new StringContent("""
            {"app":"checkout","message":"order 1 paid"}
            {"app":"checkout","message":"order 2 paid"}
            {"app":"cart","message":"cart emptied"}

            """))
        {
            body.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
            (await client.PostAsync($"http://127.0.0.1:{ingestPort}/v1/events", body, ct)).EnsureSuccessStatusCode();
        }

        var checkout = await Poll.UntilAsync(() => LinesAsync(query, """{test="it-loki", app="checkout"}""", ct), l => l.Count == 2, TimeSpan.FromSeconds(60), "the two checkout lines in Loki");
        Assert.Equal(["order 1 paid", "order 2 paid"], checkout.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("message").GetString()).Order(StringComparer.Ordinal));
        var traced = await LinesAsync(query, $$"""{test="it-loki"} | trace_id="{{traceId}}" """, ct);
        Assert.Equal(3, traced.Count);
        Assert.Empty(pipeline.DeadLetters());
    }

    /// <summary>The lines a LogQL query finds over the last hour, through /loki/api/v1/query_range.</summary>
    private static async Task<List<string>> LinesAsync(HttpClient loki, string logql, CancellationToken ct)
    {
        var start = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds() * 1_000_000L;
        using var response = await loki.GetAsync(
            $"loki/api/v1/query_range?query={Uri.EscapeDataString(logql)}&start={start.ToString(CultureInfo.InvariantCulture)}&limit=100", ct);
        if (!response.IsSuccessStatusCode)
        {
            return [];
        }
        using var result = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        return [.. result.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
            .SelectMany(stream => stream.GetProperty("values").EnumerateArray())
            .Select(value => value[1].GetString()!)];
    }
}

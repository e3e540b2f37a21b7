using System.Net;
using System.Text;
using System.Text.Json;
using Pipeline.Components;
using Pipeline.Tests.Runtime;
using static Pipeline.Tests.Runtime.TestEvents;

namespace Pipeline.Tests.EndToEnd;

/// <summary>
/// The http source with <c>acknowledgements: true</c> answers only once every event of the request is terminal:
/// 200 delivered, 422 naming dead-lettered lines, 503 with Retry-After when that takes longer than its timeout.
/// </summary>
public sealed class HttpAcknowledgementTests : IDisposable
{
    private readonly EndToEndHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_answer_waits_until_the_sink_delivered_every_event()
    {
        var gate = new SinkGate();
        var sink = gate.Sink;
        await using var running = await StartAsync(sink, "acknowledgements: true");

        var answer = running.PostAsync("{\"seq\":1}\n{\"seq\":2}\n{\"seq\":3}\n");
        await gate.Entered.Guarded();

        Assert.False(answer.IsCompleted, "answered before the sink had delivered");
        gate.Release();
        using var response = await answer.Guarded();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal(3, body.GetProperty("accepted").GetInt32());
        Assert.Equal(3, body.GetProperty("acknowledged").GetProperty("delivered").GetInt64());
        Assert.Equal([1, 2, 3], Seqs(sink.Delivered).Order());
    }

    [Fact]
    public async Task Without_acknowledgements_the_answer_does_not_wait_for_delivery()
    {
        var gate = new SinkGate();
        var sink = gate.Sink;
        await using var running = await StartAsync(sink, "acknowledgements: false");

        using var response = await running.PostAsync("{\"seq\":1}\n").Guarded();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(sink.Delivered);
        gate.Release();
    }

    [Fact]
    public async Task A_dead_lettered_line_is_named_in_a_422_with_the_reason_and_the_rest_is_delivered()
    {
        var sink = new RecordingSink
        {
            BeforeWrite = (batch, _) => batch.Any(e => SeqOf(e) == 2)
                ? throw new PermanentFailureException("mapping conflict on .seq")
                : ValueTask.CompletedTask,
        };
        await using var running = await StartAsync(sink, "acknowledgements: true", "batch_size: 1");

        using var response = await running.PostAsync("{\"seq\":1}\n{\"seq\":2}\nnot json\n{\"seq\":4}\n").Guarded();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var body = await ReadJsonAsync(response);
        var errors = body.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal([2, 3], errors.Select(e => e.GetProperty("line").GetInt32()));
        Assert.Contains("mapping conflict on .seq", errors[0].GetProperty("error").GetString());
        Assert.Equal(2, body.GetProperty("acknowledged").GetProperty("delivered").GetInt64());
        Assert.Equal([1, 4], Seqs(sink.Delivered).Order());
    }

    [Fact]
    public async Task With_the_logfmt_codec_a_line_that_does_not_decode_is_named_in_a_422_and_the_rest_is_delivered()
    {
        var sink = new RecordingSink();
        await using var running = await StartAsync(sink, "acknowledgements: true\n    decoding: { codec: logfmt }");

        using var response = await running.PostAsync("seq=1 level=info\n=no key\nseq=3\n", "text/plain").Guarded();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var body = await ReadJsonAsync(response);
        var error = Assert.Single(body.GetProperty("errors").EnumerateArray());
        Assert.Equal(2, error.GetProperty("line").GetInt32());
        Assert.Contains("decoding.codec: logfmt", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, body.GetProperty("acknowledged").GetProperty("delivered").GetInt64());
        Assert.Equal(["1", "3"], sink.Delivered.Select(e => JsonDocument.Parse(e).RootElement.GetProperty("seq").GetString()).Order());
    }

    [Fact]
    public async Task Events_not_terminal_within_the_timeout_get_503_with_retry_after()
    {
        var gate = new SinkGate();
        var sink = gate.Sink;
        await using var running = await StartAsync(sink, "acknowledgements: true\n    acknowledgements_timeout: 200ms");

        using var response = await running.PostAsync("{\"seq\":1}\n").Guarded();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Contains("acknowledgements_timeout", (await ReadJsonAsync(response)).GetProperty("error").GetString());
        gate.Release();
    }

    [Fact]
    public async Task Acknowledgements_on_a_sink_is_a_config_error_that_points_at_the_key()
    {
        var error = Assert.Throws<Pipeline.Config.ConfigException>(() => _harness.Load("""
            sources:
              in: { type: http, address: "127.0.0.1:0" }
            sinks:
              out: { type: blackhole, inputs: [in], acknowledgements: true }
            """));

        Assert.Contains("4:", error.Message);
        Assert.Contains("'acknowledgements' is set on sources", error.Message);
    }

    private async Task<RunningIngest> StartAsync(RecordingSink sink, string sourceSettings, string sinkSettings = "batch_size: 64")
    {
        var catalog = BuiltInComponents.Create().AddSink<NoOptions>("recording", "records what it gets", (_, _) => sink);
        var port = EndToEndHarness.FreePort();
        var config = _harness.Load($$"""
            name: acks
            data_dir: {dir}
            sources:
              ingest:
                type: http
                address: "127.0.0.1:{{port}}"
                {{sourceSettings}}
            sinks:
              out:
                type: recording
                inputs: [ingest]
                {{sinkSettings}}
            """, catalog);
        var topology = _harness.Build(config);
        await topology.StartAsync(Ct);
        return new RunningIngest(topology, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") });
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
        => JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.Clone();

    public sealed class NoOptions;

    private sealed class RunningIngest(Pipeline.Topology.RunningTopology topology, HttpClient http) : IAsyncDisposable
    {
        /// <summary>The source's server starts asynchronously; only connection refusals are retried, boundedly.</summary>
        public async Task<HttpResponseMessage> PostAsync(string ndjson, string mediaType = "application/x-ndjson")
        {
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    using var content = new StringContent(ndjson, Encoding.UTF8, mediaType);
                    return await http.PostAsync("/v1/events", content, Ct);
                }
                catch (HttpRequestException) when (attempt < 200)
                {
                    await Task.Delay(25, Ct);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            http.Dispose();
            await topology.DisposeAsync();
        }
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using Pipeline.Events;
using Pipeline.Sources.Http;

namespace Pipeline.Tests.Io;

/// <summary>The http source bounds the bodies and requests it holds, refuses over the limits before reading, and never answers a silent 500.</summary>
public sealed class IngestLimitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Sources_sharing_the_default_budget_refuse_what_would_pass_it_together()
    {
        var shared = new InFlightBytes(100);
        var first = new IngestLimiter(shared, maxRequests: 10);
        var second = new IngestLimiter(shared, maxRequests: 10);

        Assert.True(first.TryReserve(60));
        Assert.False(second.TryReserve(60));
        Assert.True(second.TryReserve(40));
        first.Release(60);
        Assert.True(second.TryReserve(60));
    }

    [Fact]
    public async Task A_request_over_the_bytes_in_flight_gets_429_with_retry_after_before_its_body_is_read()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var context = new FakeSourceContext { SendGate = gate.Task };
        await using var host = await IngestTestHost.StartAsync(context, maxBody: 1000, maxInFlightBytes: 1500);
        // The first request holds 1,000 bytes of room while the pipeline is slow to take its event.
        var firstAnswer = host.Client.PostAsync("/v1/events", new ByteArrayContent(Encoding.UTF8.GetBytes("{\"n\":1}\n".PadRight(1000, ' '))) { Headers = { ContentType = new("application/x-ndjson") } }, Ct);
        await context.SendEntered.WaitAsync(TimeSpan.FromSeconds(15), Ct);

        // The second one's body is never finished: an answer proves it was not waited for.
        var second = new HeldBody(Encoding.UTF8.GetBytes("{\"n\":2}\n".PadRight(1000, ' ')));
        using var refused = await host.Client.PostAsync("/v1/events", second, Ct).WaitAsync(TimeSpan.FromSeconds(15), Ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Contains("max_in_flight_bytes 1500", await refused.Content.ReadAsStringAsync(Ct));
        Assert.False(firstAnswer.IsCompleted, "the first request is still in the pipeline");
        Assert.Single(context.Refused);
        gate.SetResult();
        using var accepted = await firstAnswer.WaitAsync(TimeSpan.FromSeconds(15), Ct);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);

        // The first request's room is given back: the same request fits again.
        using var again = await host.Client.PostAsync("/v1/events", new StringContent("{\"n\":3}\n", Encoding.UTF8, "application/x-ndjson"), Ct);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(2, context.Sent.Count);
    }

    [Fact]
    public async Task Requests_over_the_concurrency_limit_get_429()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var context = new FakeSourceContext { SendGate = gate.Task };
        await using var host = await IngestTestHost.StartAsync(context, maxRequests: 1);
        var firstAnswer = host.Client.PostAsync("/v1/events", new StringContent("{\"n\":1}\n", Encoding.UTF8, "application/x-ndjson"), Ct);
        await context.SendEntered.WaitAsync(TimeSpan.FromSeconds(15), Ct);

        using var refused = await host.Client.PostAsync("/v1/events", new StringContent("{\"n\":2}\n", Encoding.UTF8, "application/x-ndjson"), Ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("max_concurrent_requests 1", await refused.Content.ReadAsStringAsync(Ct));
        gate.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await firstAnswer.WaitAsync(TimeSpan.FromSeconds(15), Ct)).StatusCode);
    }

    [Fact]
    public async Task Above_the_memory_limit_a_request_gets_503_with_retry_after_and_nothing_is_read()
    {
        var context = new FakeSourceContext { MemoryLimited = true };
        await using var host = await IngestTestHost.StartAsync(context);

        using var response = await host.Client.PostAsync("/v1/events", new StringContent("{\"n\":1}\n", Encoding.UTF8, "application/x-ndjson"), Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Contains("memory_limiter", await response.Content.ReadAsStringAsync(Ct));
        Assert.Empty(context.Sent);
        Assert.Single(context.Refused);
    }

    [Fact]
    public async Task A_failure_inside_the_source_is_reported_with_its_trace_id_and_answered_with_a_json_500()
    {
        var context = new FakeSourceContext { ThrowOnSend = new InvalidOperationException("a bug in the send path") };
        await using var host = await IngestTestHost.StartAsync(context);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = new StringContent("{\"n\":1}\n", Encoding.UTF8, "application/x-ndjson") };
        request.Headers.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");

        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Contains("a bug in the send path", body.RootElement.GetProperty("error").GetString());
        var failure = Assert.Single(context.RequestFailures);
        Assert.Equal("a bug in the send path", failure.Error.Message);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", failure.TraceId);
    }

    /// <summary>A request body whose first byte is sent and the rest never is.</summary>
    private sealed class HeldBody : HttpContent
    {
        private readonly byte[] _bytes;
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public HeldBody(byte[] bytes)
        {
            _bytes = bytes;
            Headers.ContentType = new("application/x-ndjson");
            Headers.ContentLength = bytes.Length;
        }


        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(_bytes.AsMemory(0, 1));
            await stream.FlushAsync();
            await _release.Task;
            await stream.WriteAsync(_bytes.AsMemory(1));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _bytes.Length;
            return true;
        }
    }
}

using System.Net;
using System.Text;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Tests.EndToEnd;

/// <summary>Backpressure travels from a stuck stage all the way to HTTP clients, and nothing accepted is lost.</summary>
public sealed class HttpBackpressureTests : IDisposable
{
    private readonly EndToEndHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task A_stuck_stage_turns_ingest_into_429_with_retry_after_and_every_accepted_event_is_delivered()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var catalog = BuiltInComponents.Create().AddProcessor<GateOptions>("gate", "waits for the test", (_, _) => new GateFactory(gate.Task));
        var port = EndToEndHarness.FreePort();
        var config = _harness.Load($$"""
            name: backpressure
            data_dir: {dir}
            sources:
              ingest: { type: http, address: "127.0.0.1:{{port}}", backpressure_timeout: 50ms }
            stages:
              stuck: { type: gate, inputs: [ingest], mailbox: 2, batch_size: 1 }
            sinks:
              out: { type: blackhole, inputs: [stuck] }
            """, catalog);
        var ct = TestContext.Current.CancellationToken;
        await using var topology = _harness.Build(config);
        await topology.StartAsync(ct);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        var accepted = 0;
        HttpResponseMessage? rejected = null;
        for (var i = 0; i < 50 && rejected is null; i++)
        {
            var response = await PostWhenListeningAsync(http, $"{{\"n\":{i}}}\n", ct);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                rejected = response;
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                accepted++;
            }
        }

        Assert.NotNull(rejected);
        Assert.NotNull(rejected.Headers.RetryAfter);
        Assert.InRange(accepted, 1, 10); // one in the stuck processor, the mailbox's two, then the wait runs out

        gate.SetResult();
        var report = await topology.StopAsync(TimeSpan.FromSeconds(10)).WaitAsync(EndToEndHarness.HangGuard, ct);
        Assert.True(report.Drained);
        Assert.Equal(accepted, topology.Snapshot().Nodes.Single(n => n.Id == "out").Sent);
    }

    /// <summary>The source's server starts asynchronously; retry only connection refusals, boundedly.</summary>
    private static async Task<HttpResponseMessage> PostWhenListeningAsync(HttpClient http, string ndjson, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var content = new StringContent(ndjson, Encoding.UTF8, "application/x-ndjson");
                return await http.PostAsync("/v1/events", content, ct);
            }
            catch (HttpRequestException) when (attempt < 200)
            {
                await Task.Delay(25, ct);
            }
        }
    }

    public sealed class GateOptions;

    private sealed class GateFactory(Task gate) : IProcessorFactory
    {
        public IProcessor CreateForIsolate(int isolateIndex) => new Gate(gate);
    }

    private sealed class Gate(Task gate) : IProcessor
    {
        public async ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            output.Emit(evt);
        }
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Pipeline.Host;
using Pipeline.Security;
using Pipeline.Tests.EndToEnd;
using Pipeline.Topology;

namespace Pipeline.Tests.Inspect;

/// <summary>GET /tap on a running topology over real HTTP: what it streams, when it ends, who may call it.</summary>
public sealed class TapEndpointTests : IAsyncDisposable
{
    private const string Yaml = """
        name: tap-e2e
        data_dir: {dir}
        sources:
          gen: { type: generator, rate: 2000, seed: 7 }
        stages:
          keep: { type: filter, inputs: [gen], condition: '.status < 600' }
          by_service:
            type: route
            inputs: [keep]
            routes:
              payments: '.service == "payments"'
        sinks:
          paid: { type: blackhole, inputs: [by_service.payments] }
          rest: { type: blackhole, inputs: [by_service._unmatched] }
        """;

    private static readonly string Token = RandomNumberGenerator.GetHexString(64, lowercase: true);

    private readonly EndToEndHarness _harness = new();
    private readonly RunningTopology _topology;
    private AdminServer? _admin;

    public TapEndpointTests() => _topology = _harness.Build(_harness.Load(Yaml));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }
        await _topology.DisposeAsync();
        _harness.Dispose();
    }

    [Fact]
    public async Task A_tap_streams_the_events_leaving_a_stage_as_json_lines_and_ends_at_its_limit()
    {
        using var http = await StartAsync(new AdminSettings { Address = "127.0.0.1:0" });

        using var response = await http.GetAsync("/tap?component=keep&limit=5", Ct);
        var lines = (await response.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(6, lines.Length);
        foreach (var line in lines[..5])
        {
            using var json = JsonDocument.Parse(line);
            Assert.Equal("keep", json.RootElement.GetProperty("component").GetString());
            Assert.False(json.RootElement.TryGetProperty("output", out _));
            Assert.Equal(32, json.RootElement.GetProperty("trace_id").GetString()!.Length);
            Assert.True(json.RootElement.GetProperty("event").GetProperty("status").GetInt32() < 600);
        }
        using var end = JsonDocument.Parse(lines[5]);
        Assert.Equal("limit", end.RootElement.GetProperty("tap_end").GetProperty("reason").GetString());
        Assert.Equal(5, end.RootElement.GetProperty("tap_end").GetProperty("events").GetInt64());
        await WaitUntilAsync(() => _topology.ActiveTaps == 0);
    }

    [Fact]
    public async Task A_tap_on_a_named_output_sees_only_that_outputs_events()
    {
        using var http = await StartAsync(new AdminSettings { Address = "127.0.0.1:0" });

        var body = await http.GetStringAsync("/tap?component=by_service.payments&limit=20", Ct);
        var events = body.Split('\n', StringSplitOptions.RemoveEmptyEntries)[..^1].Select(l => JsonDocument.Parse(l).RootElement).ToList();

        Assert.Equal(20, events.Count);
        Assert.All(events, e => Assert.Equal("payments", e.GetProperty("output").GetString()));
        Assert.All(events, e => Assert.Equal("payments", e.GetProperty("event").GetProperty("service").GetString()));
    }

    [Fact]
    public async Task Several_taps_at_once_each_get_their_own_copies()
    {
        using var http = await StartAsync(new AdminSettings { Address = "127.0.0.1:0" });

        var taps = await Task.WhenAll(
            http.GetStringAsync("/tap?component=gen&limit=10", Ct),
            http.GetStringAsync("/tap?component=keep&limit=10&sample=0.5", Ct),
            http.GetStringAsync("/tap?component=by_service._unmatched&limit=10", Ct));

        Assert.All(taps, body => Assert.Equal(11, body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length));
        await WaitUntilAsync(() => _topology.ActiveTaps == 0);
    }

    [Fact]
    public async Task An_unknown_component_is_a_404_naming_what_can_be_tapped_and_the_likely_one()
    {
        using var http = await StartAsync(new AdminSettings { Address = "127.0.0.1:0" });

        using var typo = await http.GetAsync("/tap?component=by_servce.payments", Ct);
        using var sink = await http.GetAsync("/tap?component=paid", Ct);
        using var badSample = await http.GetAsync("/tap?component=keep&sample=2", Ct);

        Assert.Equal(HttpStatusCode.NotFound, typo.StatusCode);
        Assert.Equal(
            "nothing to tap named 'by_servce.payments' (did you mean 'by_service.payments'?); can be tapped: gen, keep, by_service, by_service.payments, by_service._unmatched\n",
            await typo.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.NotFound, sink.StatusCode);
        Assert.Equal("'paid' is a sink: no events leave it; tap what feeds it: by_service.payments\n", await sink.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.BadRequest, badSample.StatusCode);
        Assert.Contains("sample: expected a share of events above 0 and at most 1", await badSample.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_hangs_up_takes_its_tap_away_and_the_output_is_untapped_again()
    {
        using var http = await StartAsync(new AdminSettings { Address = "127.0.0.1:0" });
        using (var response = await http.GetAsync("/tap?component=keep", HttpCompletionOption.ResponseHeadersRead, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(1, _topology.ActiveTaps);
            await using var stream = await response.Content.ReadAsStreamAsync(Ct);
            using var reader = new StreamReader(stream);
            Assert.NotNull(await reader.ReadLineAsync(Ct));
        }
        http.CancelPendingRequests();

        await WaitUntilAsync(() => _topology.ActiveTaps == 0);
    }

    [Fact]
    public async Task A_tap_ends_with_finished_when_the_pipeline_completes()
    {
        await using var topology = _harness.Build(_harness.Load("""
            name: tap-finite
            data_dir: {dir}
            sources:
              gen: { type: generator, count: 50, rate: 1000, seed: 3 }
            sinks:
              out: { type: blackhole, inputs: [gen] }
            """));
        _admin = await AdminServer.StartAsync("127.0.0.1:0", topology, _harness.Metrics, _harness.Logger, Ct);
        using var http = new HttpClient { BaseAddress = new Uri(_admin.Addresses.Single()), Timeout = EndToEndHarness.HangGuard };
        using var response = await http.GetAsync("/tap?component=gen", HttpCompletionOption.ResponseHeadersRead, Ct);
        await topology.StartAsync(Ct);

        var lines = (await response.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(51, lines.Length);
        Assert.Equal("""{"tap_end":{"reason":"finished","events":50,"dropped":0}}""", lines[^1]);
    }

    [Fact]
    public async Task With_admin_auth_a_tap_needs_the_token_although_it_is_a_get()
    {
        using var http = await StartAsync(new AdminSettings { Address = "127.0.0.1:0", Auth = new AuthSettings { TokensEnv = ["ADMIN_TOKEN"] } });

        using var anonymous = await http.GetAsync("/tap?component=keep&limit=1", Ct);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/topology", Ct)).StatusCode);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var authorized = await http.GetAsync("/tap?component=keep&limit=1", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
        Assert.Equal(2, (await authorized.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Without_admin_auth_a_tap_from_another_host_is_refused_403_with_the_reason()
    {
        var external = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        Assert.SkipWhen(external is null, "this machine has no non-loopback IPv4 address to connect from");
        _admin = await AdminServer.StartAsync(new AdminSettings { Address = "0.0.0.0:0" }, _topology, _harness.Metrics, _harness.Logger, Ct);
        var port = new Uri(_admin.Addresses.Single()).Port;
        using var http = new HttpClient { Timeout = EndToEndHarness.HangGuard };

        using var remote = await http.GetAsync($"http://{external}:{port}/tap?component=keep&limit=1", Ct);
        using var loopback = await http.GetAsync($"http://127.0.0.1:{port}/tap?component=keep&limit=1", HttpCompletionOption.ResponseHeadersRead, Ct);
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, remote.StatusCode);
        Assert.Equal(
            $"/tap shows event contents, so without admin.auth it answers loopback clients only (kubectl port-forward, kubectl exec), not {external}: configure admin.auth (docs/security.md)\n",
            await remote.Content.ReadAsStringAsync(Ct));
        Assert.Equal(HttpStatusCode.OK, loopback.StatusCode);
        Assert.Contains("pipeline_auth_failures_total{pipeline=\"tap-e2e\",server=\"admin\",reason=\"not_loopback\"} 1", metrics, StringComparison.Ordinal);
    }

    private async Task<HttpClient> StartAsync(AdminSettings settings)
    {
        _admin = await AdminServer.StartAsync(settings, _topology, _harness.Metrics, _harness.Logger, Ct, name => name == "ADMIN_TOKEN" ? Token : null);
        await _topology.StartAsync(Ct);
        return new HttpClient { BaseAddress = new Uri(_admin.Addresses.Single()), Timeout = EndToEndHarness.HangGuard };
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + EndToEndHarness.HangGuard;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within the hang guard");
            await Task.Delay(10, Ct);
        }
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Pipeline.Config;
using Pipeline.Host;
using Pipeline.Security;
using Pipeline.Telemetry;
using Pipeline.Topology;
using Prometheus;
using Serilog.Events;

namespace Pipeline.Tests.Security;

/// <summary>The admin port: open probes, mutating endpoints behind a token, and TLS.</summary>
public sealed class AdminSecurityTests : IAsyncDisposable
{
    private const string Topology = """
        sources:
          gen: {type: generator, count: 1}
        sinks:
          out: {type: blackhole, inputs: [gen]}
        """;

    private static readonly string Token = RandomNumberGenerator.GetHexString(64, lowercase: true);

    private readonly LogEventLevel _levelBefore = LoggingSetup.LevelSwitch.MinimumLevel;
    private readonly TestCertificates _ca = TestCertificates.CreateAuthority();
    private readonly PipelineMetrics _metrics = new(Metrics.NewCustomRegistry());
    private readonly RunningTopology _topology;
    private AdminServer? _admin;

    public AdminSecurityTests()
    {
        var config = ConfigLoader.LoadYaml(Topology, "admin.yaml", BuiltInComponents.Create(), new Dictionary<string, string>());
        _topology = RunningTopology.Build(config, _metrics, Serilog.Core.Logger.None);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        LoggingSetup.LevelSwitch.MinimumLevel = _levelBefore;
        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }
        await _topology.DisposeAsync();
        _ca.Dispose();
    }

    [Fact]
    public async Task Without_admin_auth_a_mutating_endpoint_is_refused_403_while_probes_and_metrics_stay_open()
    {
        using var http = await StartAsync(new AdminSettings { Address = "127.0.0.1:0" });
        LoggingSetup.LevelSwitch.MinimumLevel = LogEventLevel.Information;

        using var put = await http.PutAsync("/loglevel?level=verbose", null, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Contains("configure admin.auth", await put.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(LogEventLevel.Information, LoggingSetup.LevelSwitch.MinimumLevel);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz", Ct)).StatusCode);
        var metrics = await http.GetStringAsync("/metrics", Ct);
        Assert.Contains("pipeline_auth_failures_total{pipeline=\"pipeline\",server=\"admin\",reason=\"not_configured\"} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Protect_read_only_puts_metrics_and_probes_behind_the_token()
    {
        using var http = await StartAsync(new AdminSettings { Address = "127.0.0.1:0", Auth = new AuthSettings { TokensEnv = ["ADMIN_TOKEN"] }, ProtectReadOnly = true });

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/metrics", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/healthz", Ct)).StatusCode);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/metrics", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz", Ct)).StatusCode);
    }

    [Fact]
    public async Task The_admin_port_serves_tls_and_takes_the_token_for_loglevel()
    {
        var (certFile, keyFile, certificate) = _ca.IssueServer();
        _admin = await AdminServer.StartAsync(
            new AdminSettings
            {
                Address = "https://127.0.0.1:0",
                Tls = new ServerTlsSettings { CertFile = certFile, KeyFile = keyFile },
                Auth = new AuthSettings { TokensEnv = ["ADMIN_TOKEN"] },
            },
            _topology, _metrics, Serilog.Core.Logger.None, Ct, Environment);
        var address = new Uri(_admin.Addresses.Single());
        using var client = new SecureClient(address, _ca.Authority);
        LoggingSetup.LevelSwitch.MinimumLevel = LogEventLevel.Information;

        using var refused = await client.Http.PutAsync("/loglevel?level=debug", null, Ct);
        client.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var accepted = await client.Http.PutAsync("/loglevel?level=debug", null, Ct);

        Assert.Equal("https", address.Scheme);
        Assert.Equal(certificate.GetCertHashString(), client.PresentedThumbprint);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(LogEventLevel.Debug, LoggingSetup.LevelSwitch.MinimumLevel);
    }

    private static string? Environment(string name) => name == "ADMIN_TOKEN" ? Token : null;

    private async Task<HttpClient> StartAsync(AdminSettings settings)
    {
        _admin = await AdminServer.StartAsync(settings, _topology, _metrics, Serilog.Core.Logger.None, Ct, Environment);
        return new HttpClient { BaseAddress = new Uri(_admin.Addresses.Single()), Timeout = TimeSpan.FromSeconds(20) };
    }
}

using System.Text.Json;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Security;
using Pipeline.Sinks;
using Pipeline.Sources.Http;
using Pipeline.Tests.Io;

namespace Pipeline.Tests.Security;

/// <summary>
/// The http sink's tls against a real TLS server: the http source itself, with mutual TLS, on 127.0.0.1, with
/// certificates the test makes.
/// </summary>
public sealed class HttpSinkTlsTests : IDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private readonly TestCertificates _ca = TestCertificates.CreateAuthority();
    private readonly FakeSourceContext _received = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task? _run;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _stopping.Cancel();
        _run?.Wait(HangGuard, CancellationToken.None);
        _stopping.Dispose();
        _ca.Dispose();
    }

    [Fact]
    public async Task A_sink_trusting_the_private_ca_with_a_client_certificate_delivers_over_mutual_tls()
    {
        var uri = await StartServerAsync(requireClientCertificate: true);
        var (certFile, keyFile, _) = _ca.IssueClient();

        await using var sink = Sink(uri, new ClientTlsSettings { CaFile = _ca.CaFile, CertFile = certFile, KeyFile = keyFile });
        await sink.WriteAsync([Event.Parse("{\"n\":1}"u8)], Ct);

        var sent = Assert.Single(_received.Sent);
        Assert.Equal(1, JsonDocument.Parse(sent.Event.ToString()).RootElement.GetProperty("n").GetInt32());
    }

    [Fact]
    public async Task Without_a_client_certificate_or_without_the_ca_the_delivery_fails()
    {
        var uri = await StartServerAsync(requireClientCertificate: true);

        await using var noClientCertificate = Sink(uri, new ClientTlsSettings { CaFile = _ca.CaFile });
        await using var systemTrustOnly = Sink(uri, new ClientTlsSettings());

        await Assert.ThrowsAnyAsync<HttpRequestException>(async () => await noClientCertificate.WriteAsync([Event.Parse("{\"n\":1}"u8)], Ct));
        await Assert.ThrowsAnyAsync<HttpRequestException>(async () => await systemTrustOnly.WriteAsync([Event.Parse("{\"n\":2}"u8)], Ct));
        Assert.Empty(_received.Sent);
    }

    [Fact]
    public async Task Verify_hostname_false_accepts_a_certificate_that_does_not_name_the_host_but_still_checks_its_ca()
    {
        var uri = await StartServerAsync(requireClientCertificate: false, certificateNamesTheHost: false);

        await using var strict = Sink(uri, new ClientTlsSettings { CaFile = _ca.CaFile });
        await using var lenient = Sink(uri, new ClientTlsSettings { CaFile = _ca.CaFile, VerifyHostname = false });
        using var stranger = TestCertificates.CreateAuthority("Other CA");
        await using var wrongCa = Sink(uri, new ClientTlsSettings { CaFile = stranger.CaFile, VerifyHostname = false });

        await Assert.ThrowsAnyAsync<HttpRequestException>(async () => await strict.WriteAsync([Event.Parse("{\"n\":1}"u8)], Ct));
        await Assert.ThrowsAnyAsync<HttpRequestException>(async () => await wrongCa.WriteAsync([Event.Parse("{\"n\":2}"u8)], Ct));
        await lenient.WriteAsync([Event.Parse("{\"n\":3}"u8)], Ct);

        Assert.Single(_received.Sent);
    }

    [Theory]
    [InlineData("http://127.0.0.1:9/x", "tls", "a tls block takes effect only for an https:// uri")]
    [InlineData("https://127.0.0.1:9/x", "tls.key_file", "expected cert_file and key_file together")]
    public void Build_refuses_a_tls_block_that_cannot_work(string uri, string option, string message)
    {
        var config = new HttpSinkConfig { Uri = uri, Tls = new ClientTlsSettings { CertFile = _ca.CaFile } };

        var error = Assert.Throws<ComponentBuildException>(() => config.Build(new ComponentContext("out", "test", Path.GetTempPath())));

        Assert.Equal(option, error.Option);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private ISink Sink(Uri uri, ClientTlsSettings tls)
        => new HttpSinkConfig { Uri = new Uri(uri, "/v1/events").ToString(), Tls = tls, Timeout = TimeSpan.FromSeconds(10) }
            .Build(new ComponentContext("out", "test", Path.GetTempPath()))
            .CreateForIsolate(0);

    private async Task<Uri> StartServerAsync(bool requireClientCertificate, bool certificateNamesTheHost = true)
    {
        var (certFile, keyFile, _) = _ca.IssueServer(withAddresses: certificateNamesTheHost);
        var config = new HttpSourceConfig
        {
            Address = "127.0.0.1:0",
            Tls = new ServerTlsSettings { CertFile = certFile, KeyFile = keyFile, CaFile = requireClientCertificate ? _ca.CaFile : null },
        };
        var source = (HttpSource)config.Build(new ComponentContext("ingest", "test", Path.GetTempPath())).Create();
        _run = source.RunAsync(_received, _stopping.Token);
        return Assert.Single(await source.Listening.WaitAsync(HangGuard, Ct));
    }
}

using System.Security.Cryptography.X509Certificates;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Security;
using Pipeline.Sinks.Otlp;
using Pipeline.Tests.Security;

namespace Pipeline.Tests.Otlp;

/// <summary>The otlp sink's tls over gRPC against a receiver with a certificate of a private CA the test makes.</summary>
public sealed class OtlpSinkTlsTests : IAsyncLifetime
{
    private readonly TestCertificates _ca = TestCertificates.CreateAuthority();
    private FakeOtlpReceiver _receiver = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var (certFile, keyFile, _) = _ca.IssueServer();
        using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        // Kestrel wants a certificate whose key it can use on every platform: a PKCS#12 round trip gives it one.
        var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pfx), null);
        _receiver = await FakeOtlpReceiver.StartAsync(certificate);
    }

    public async ValueTask DisposeAsync()
    {
        await _receiver.DisposeAsync();
        _ca.Dispose();
    }

    [Fact]
    public async Task A_sink_trusting_the_private_ca_delivers_over_grpc_with_tls_and_one_trusting_only_the_system_is_refused_as_an_outage()
    {
        await using var trusting = Sink(new ClientTlsSettings { CaFile = _ca.CaFile });
        await using var systemOnly = Sink(new ClientTlsSettings());

        await trusting.WriteAsync([Event.Parse("""{"message":"over tls"}""")], Ct);
        var refused = await Assert.ThrowsAsync<RetryableFailureException>(async () => await systemOnly.WriteAsync([Event.Parse("""{"message":"untrusted"}""")], Ct));

        Assert.Equal(["over tls"], _receiver.Records().Select(r => r.Body.StringValue));
        Assert.Contains("The remote certificate was rejected", refused.Message, StringComparison.Ordinal);
    }

    private ISink Sink(ClientTlsSettings tls)
    {
        var endpoint = new UriBuilder(_receiver.GrpcEndpoint) { Scheme = "https" }.Uri;
        var factory = new OtlpSinkConfig { Endpoint = endpoint.ToString(), Tls = tls }
            .Build(new ComponentContext("out", "test", Path.GetTempPath()) { Environment = _ => null });
        return factory.CreateForIsolate(0);
    }
}

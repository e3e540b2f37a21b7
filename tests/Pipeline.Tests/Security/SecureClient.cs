using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Pipeline.Tests.Security;

/// <summary>
/// An HttpClient that trusts only a test CA (never the machine's store), optionally presents a client certificate,
/// and remembers which server certificate it was shown. A new one per connection the test wants to see.
/// </summary>
internal sealed class SecureClient : IDisposable
{
    /// <param name="protocols">The TLS versions the client offers; the system's choice by default.</param>
    public SecureClient(Uri baseAddress, X509Certificate2 authority, X509Certificate2? clientCertificate = null, System.Security.Authentication.SslProtocols protocols = default)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                EnabledSslProtocols = protocols,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null)
                    {
                        return false;
                    }
                    PresentedThumbprint = certificate.GetCertHashString();
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(authority);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    return chain.Build(presented) && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
                },
            },
        };
        Http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(20) };
    }

    public HttpClient Http { get; }

    public string? PresentedThumbprint { get; private set; }

    public void Dispose() => Http.Dispose();
}

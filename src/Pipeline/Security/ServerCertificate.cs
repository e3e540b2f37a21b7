using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pipeline.Security;

/// <summary>
/// What a TLS server presents, loaded from its files: the handshake options every new connection gets. Immutable;
/// <see cref="ReloadingServerCertificate"/> swaps in a new one when the files change.
/// </summary>
public sealed class ServerCertificate : IDisposable
{
    // id-kp-clientAuth: a client certificate with an extended key usage must allow client authentication (RFC 5280 4.2.1.12).
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2Collection? _authorities;

    private ServerCertificate(X509Certificate2 certificate, X509Certificate2Collection chain, X509Certificate2Collection? authorities, ServerTlsSettings settings, Action? clientRejected)
    {
        _certificate = certificate;
        _authorities = authorities;
        NotAfter = certificate.NotAfter.ToUniversalTime();
        Subject = certificate.Subject;
        Options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(certificate, chain, offline: true),
            EnabledSslProtocols = settings.Protocols,
            ClientCertificateRequired = authorities is not null,
            // Revocation is not checked: the service runs without egress, and a CRL or OCSP fetch per handshake would
            // stall it. Rotate the CA (or the client certificates) to revoke; docs/security.md says so.
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
        };
        if (authorities is not null)
        {
            Options.RemoteCertificateValidationCallback = (_, presented, presentedChain, _) =>
            {
                if (AcceptsClient(presented, presentedChain))
                {
                    return true;
                }
                clientRejected?.Invoke();
                return false;
            };
        }
    }

    /// <summary>The handshake options of a connection accepted now.</summary>
    public SslServerAuthenticationOptions Options { get; }

    public DateTime NotAfter { get; }

    public string Subject { get; }

    /// <summary>True when clients must present a certificate from ca_file.</summary>
    public bool RequiresClientCertificate => _authorities is not null;

    /// <param name="clientRejected">Called for each client certificate refused under mutual TLS.</param>
    /// <exception cref="TlsFileException">A file is missing, unreadable, not PEM, or the key does not match.</exception>
    public static ServerCertificate Load(ServerTlsSettings settings, Action? clientRejected = null)
    {
        var (certificate, chain) = PemFiles.LoadCertificateAndKey(settings.CertFile, settings.KeyFile);
        try
        {
            var authorities = settings.CaFile is { } caFile ? PemFiles.LoadAuthorities(caFile) : null;
            return new ServerCertificate(certificate, chain, authorities, settings, clientRejected);
        }
        catch
        {
            certificate.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether a client's certificate chains to one of ca_file's certificates (only those: the system's store is not
    /// consulted) and allows client authentication.
    /// </summary>
    public bool AcceptsClient(X509Certificate? presented, X509Chain? presentedChain)
    {
        if (_authorities is null)
        {
            return true;
        }
        if (presented is null)
        {
            return false;
        }
        return PrivateTrust.Chains(presented, presentedChain, _authorities, ClientAuthentication);
    }

    public void Dispose()
    {
        _certificate.Dispose();
    }
}

using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Pipeline.Security;

/// <summary>
/// A client's TLS material as loaded from its files: the CAs it trusts (or the system's) and the certificate it
/// presents. <see cref="Apply"/> wires it into a <see cref="SocketsHttpHandler"/> through callbacks that read the
/// current one, so a reload (<see cref="PolledFiles"/>) reaches every new connection without a new client.
/// </summary>
public sealed class ClientTls : IDisposable
{
    private readonly X509Certificate2Collection? _authorities;
    private readonly X509Certificate2? _certificate;

    private ClientTls(X509Certificate2Collection? authorities, X509Certificate2? certificate)
    {
        _authorities = authorities;
        _certificate = certificate;
    }

    /// <exception cref="TlsFileException">A file is missing, unreadable, not PEM, or the key does not match.</exception>
    public static ClientTls Load(ClientTlsSettings settings)
    {
        var authorities = settings.CaFile is { } caFile ? PemFiles.LoadAuthorities(caFile) : null;
        var certificate = settings.CertFile is { } certFile && settings.KeyFile is { } keyFile
            ? PemFiles.LoadCertificateAndKey(certFile, keyFile).Certificate
            : null;
        return new ClientTls(authorities, certificate);
    }

    /// <summary>
    /// Sets the handler's TLS options from <paramref name="settings"/>, reading the files now and again whenever they
    /// change. The returned object stops the polling when disposed.
    /// </summary>
    public static IDisposable Apply(SocketsHttpHandler handler, ClientTlsSettings settings, Serilog.ILogger logger, string client)
    {
        var current = Load(settings);
        string[] files = [.. new[] { settings.CaFile, settings.CertFile, settings.KeyFile }.OfType<string>()];
        var polled = new PolledFiles(files, () =>
        {
            try
            {
                current = Load(settings);
                logger.Information("TLS files of {Server} reloaded", client);
            }
            catch (TlsFileException e)
            {
                logger.Warning("TLS files of {Server} changed but do not load, so the previous ones stay in use: {Error}", client, e.Message);
            }
        });
        if (settings.CertFile is not null)
        {
            handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => current._certificate!;
        }
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            !settings.VerifyCertificate || current.Accepts(certificate, chain, errors, settings.VerifyHostname);
        return polled;
    }

    public void Dispose() => _certificate?.Dispose();

    private bool Accepts(X509Certificate? presented, X509Chain? presentedChain, SslPolicyErrors errors, bool verifyHostname)
    {
        if (!verifyHostname)
        {
            errors &= ~SslPolicyErrors.RemoteCertificateNameMismatch;
        }
        if (_authorities is null || presented is null)
        {
            // The system's store decided: accept only what it accepted.
            return errors == SslPolicyErrors.None;
        }
        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }
        return PrivateTrust.Chains(presented, presentedChain, _authorities, usage: null);
    }
}

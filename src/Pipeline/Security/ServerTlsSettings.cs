using System.Security.Authentication;
using Pipeline.Components;

namespace Pipeline.Security;

/// <summary>
/// <c>tls:</c> on a server (an http source, the admin port): the certificate it presents, and with <c>ca_file</c>
/// mutual TLS (only clients with a certificate from that CA get in). The files are re-read when they change.
/// </summary>
public sealed class ServerTlsSettings
{
    [Option("PEM certificate the server presents, followed by its intermediates (a Kubernetes TLS Secret's tls.crt). Re-read when it changes.",
        Required = true, Example = "/etc/pipeline/tls/tls.crt")]
    public string CertFile { get; set; } = "";

    [Option("PEM private key of cert_file, unencrypted (tls.key). Re-read when it changes.", Required = true, Example = "/etc/pipeline/tls/tls.key")]
    public string KeyFile { get; set; } = "";

    [Option("PEM CA certificates. When set, every client must present a certificate issued by one of them (mutual TLS); others fail the handshake.",
        Example = "/etc/pipeline/tls/ca.crt")]
    public string? CaFile { get; set; }

    [Option("Oldest TLS version accepted: \"1.2\" or \"1.3\".", Example = "\"1.3\"")]
    public string MinVersion { get; set; } = "1.2";

    /// <summary>The protocols <see cref="MinVersion"/> allows.</summary>
    public SslProtocols Protocols => MinVersion == "1.3" ? SslProtocols.Tls13 : SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>
    /// Checks what <c>validate</c> can: the version, and that every file is there, is PEM and that the key matches the
    /// certificate. Throws <see cref="ComponentBuildException"/> naming <c>{option}.cert_file</c> and the like.
    /// </summary>
    /// <param name="option">Where this block sits: <c>tls</c>, or <c>admin.tls</c>.</param>
    public void Validate(string option)
    {
        if (MinVersion is not ("1.2" or "1.3"))
        {
            throw new ComponentBuildException(option + ".min_version", $"expected \"1.2\" or \"1.3\", found '{MinVersion}'");
        }
        try
        {
            ServerCertificate.Load(this).Dispose();
        }
        catch (TlsFileException e)
        {
            throw new ComponentBuildException(option + "." + e.Option, e.Message, e);
        }
    }
}

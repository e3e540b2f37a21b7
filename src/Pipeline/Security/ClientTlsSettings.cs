using Pipeline.Components;

namespace Pipeline.Security;

/// <summary>
/// <c>tls:</c> on a client (the http sink; Elasticsearch, OTLP and Loki sinks take the same): which servers to trust
/// and the certificate to present for mutual TLS. The files are re-read when they change.
/// </summary>
public sealed class ClientTlsSettings
{
    [Option("PEM CA certificates to trust for the server's certificate, instead of the system's store (a private CA). Re-read when it changes.",
        Example = "/etc/pipeline/backend-ca/ca.crt")]
    public string? CaFile { get; set; }

    [Option("PEM client certificate to present (mutual TLS), with key_file. Re-read when it changes.", Example = "/etc/pipeline/client-tls/tls.crt")]
    public string? CertFile { get; set; }

    [Option("PEM private key of cert_file, unencrypted.", Example = "/etc/pipeline/client-tls/tls.key")]
    public string? KeyFile { get; set; }

    [Option("Check that the server's certificate names the host connected to (the uri's, a broker's). Turn off only for a server reached by an address its certificate does not list.",
        Example = "false")]
    public bool VerifyHostname { get; set; } = true;

    [Option("Check the server's certificate at all (chain to a trusted CA, validity). false accepts any server: for a test bench, never in production.",
        Example = "false")]
    public bool VerifyCertificate { get; set; } = true;

    /// <summary>Checks the files as <c>validate</c> can: each one readable PEM, the key the certificate's.</summary>
    /// <param name="option">Where this block sits, such as <c>tls</c>.</param>
    public void Validate(string option)
    {
        if ((CertFile is null) != (KeyFile is null))
        {
            throw new ComponentBuildException(option + (CertFile is null ? ".cert_file" : ".key_file"),
                "expected cert_file and key_file together (the client certificate and its key), found only one");
        }
        try
        {
            ClientTls.Load(this).Dispose();
        }
        catch (TlsFileException e)
        {
            throw new ComponentBuildException(option + "." + e.Option, e.Message, e);
        }
    }
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pipeline.Security;

/// <summary>
/// Reads the PEM files a <c>tls</c> block names, as cert-manager and Kubernetes TLS Secrets write them
/// (<c>tls.crt</c> with the chain after the leaf, <c>tls.key</c>, <c>ca.crt</c>), with an error that says which file
/// and what is wrong with it.
/// </summary>
public static class PemFiles
{
    /// <summary>The certificate with its private key, and the intermediates that follow it in the same file.</summary>
    public static (X509Certificate2 Certificate, X509Certificate2Collection Chain) LoadCertificateAndKey(string certFile, string keyFile)
    {
        var certText = ReadText("cert_file", certFile);
        var keyText = ReadText("key_file", keyFile);
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPem(certText);
        }
        catch (CryptographicException e)
        {
            throw new TlsFileException("cert_file", $"'{certFile}' holds no readable PEM certificate: {e.Message}", e);
        }
        if (chain.Count == 0)
        {
            throw new TlsFileException("cert_file", $"expected a PEM certificate (-----BEGIN CERTIFICATE-----) in '{certFile}', found none");
        }
        if (keyText.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal))
        {
            throw new TlsFileException("key_file", $"'{keyFile}' holds an encrypted private key: expected an unencrypted one (keep it in a Secret mounted read-only instead)");
        }
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(certText, keyText);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            // CryptographicException: no readable key; ArgumentException: a key, but another certificate's.
            throw new TlsFileException("key_file", $"'{keyFile}' is not the private key of the certificate in '{certFile}' (or holds no unencrypted PEM private key): {e.Message}", e);
        }
        chain.RemoveAt(0);
        return (certificate, chain);
    }

    /// <summary>Every certificate of a CA bundle; at least one.</summary>
    public static X509Certificate2Collection LoadAuthorities(string caFile)
    {
        var text = ReadText("ca_file", caFile);
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPem(text);
        }
        catch (CryptographicException e)
        {
            throw new TlsFileException("ca_file", $"'{caFile}' holds no readable PEM certificate: {e.Message}", e);
        }
        if (authorities.Count == 0)
        {
            throw new TlsFileException("ca_file", $"expected PEM CA certificates (-----BEGIN CERTIFICATE-----) in '{caFile}', found none");
        }
        return authorities;
    }

    private static string ReadText(string option, string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var what = e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message;
            throw new TlsFileException(option, $"cannot read '{path}': {what}", e);
        }
    }
}

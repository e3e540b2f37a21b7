using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pipeline.Tests.Security;

/// <summary>
/// A private CA and the certificates it issues, made with <see cref="CertificateRequest"/> and written as PEM files
/// the way a Kubernetes TLS Secret mounts them. ECDSA P-256 keys: quick to make, and what cert-manager issues by default for ECDSA.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    private TestCertificates(string directory, X509Certificate2 authority)
    {
        Directory = directory;
        Authority = authority;
        CaFile = Path.Combine(directory, "ca.crt");
        File.WriteAllText(CaFile, authority.ExportCertificatePem());
    }

    public string Directory { get; }

    public X509Certificate2 Authority { get; }

    public string CaFile { get; }

    public static TestCertificates CreateAuthority(string name = "Test CA")
    {
        var directory = Path.Combine(Path.GetTempPath(), "pipeline-tls-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return new TestCertificates(directory, authority);
    }

    /// <summary>A server certificate for 127.0.0.1 and localhost, written as <c>{name}.crt</c> and <c>{name}.key</c>.</summary>
    public (string CertFile, string KeyFile, X509Certificate2 Certificate) IssueServer(string name = "server", string commonName = "pipeline-test", bool withAddresses = true)
        => Issue(name, commonName, ServerAuthentication, withAddresses);

    /// <summary>A client certificate (extended key usage: client authentication).</summary>
    public (string CertFile, string KeyFile, X509Certificate2 Certificate) IssueClient(string name = "client", string commonName = "pipeline-client")
        => Issue(name, commonName, ClientAuthentication, withAddresses: false);

    /// <summary>Writes the files at new paths first and moves them over the old ones, as a Secret update replaces them whole.</summary>
    public static void Replace(string path, string contents)
    {
        var staged = path + ".new";
        File.WriteAllText(staged, contents);
        File.Move(staged, path, overwrite: true);
    }

    public void Dispose()
    {
        Authority.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private (string CertFile, string KeyFile, X509Certificate2 Certificate) Issue(string name, string commonName, Oid usage, bool withAddresses)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        if (withAddresses)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(System.Net.IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }
        var serial = RandomNumberGenerator.GetBytes(12);
        using var issued = request.Create(Authority, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(12), serial);
        var withKey = issued.CopyWithPrivateKey(key);
        var certFile = Path.Combine(Directory, name + ".crt");
        var keyFile = Path.Combine(Directory, name + ".key");
        Replace(certFile, withKey.ExportCertificatePem());
        Replace(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certFile, keyFile, withKey);
    }
}

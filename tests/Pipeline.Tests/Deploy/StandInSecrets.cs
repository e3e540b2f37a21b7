using System.Security.Cryptography;
using Pipeline.Tests.Security;

namespace Pipeline.Tests.Deploy;

/// <summary>
/// Files in place of the Secrets a shipped config reads, so that it validates here: <c>validate</c> reads every tls
/// and auth file (PEM, a key matching its certificate, tokens long enough), and the real ones exist only in a cluster
/// or on the operator's machine. Each TLS directory holds what a cert-manager TLS Secret mounts: tls.crt, tls.key and
/// the issuing CA's ca.crt.
/// </summary>
internal sealed class StandInSecrets : IDisposable
{
    private readonly List<TestCertificates> _authorities = [];

    public StandInSecrets()
    {
        Directory = Path.Combine(Path.GetTempPath(), "pipeline-secrets-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>Where the token files are written.</summary>
    public string Directory { get; }

    /// <summary>A directory with a server certificate (for 127.0.0.1 and localhost) from a CA of its own.</summary>
    public string ServerTlsDirectory() => TlsDirectory(authority => authority.IssueServer("tls").Certificate);

    /// <summary>A directory with a client certificate (for mutual TLS) from a CA of its own.</summary>
    public string ClientTlsDirectory() => TlsDirectory(authority => authority.IssueClient("tls").Certificate);

    /// <summary>A tokens file as an operator makes one: a comment and a token of <c>openssl rand -hex 32</c>'s length.</summary>
    public string TokensFile(string name)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, $"# stand-in for a Secret's tokens key\n{RandomNumberGenerator.GetHexString(64, lowercase: true)}\n");
        return path;
    }

    /// <summary>The variables deploy/k8s/pipeline.yaml's secret paths honour, pointed at stand-in files.</summary>
    public Dictionary<string, string> KubernetesConfigEnvironment() => new(StringComparer.Ordinal)
    {
        ["PIPELINE_INGEST_TLS_DIR"] = ServerTlsDirectory(),
        ["PIPELINE_INGEST_TOKENS_FILE"] = TokensFile("ingest-tokens"),
        ["PIPELINE_ADMIN_TOKENS_FILE"] = TokensFile("admin-tokens"),
        ["PIPELINE_ELASTICSEARCH_API_KEY_FILE"] = TokensFile("elasticsearch-api-key"),
    };

    public void Dispose()
    {
        foreach (var authority in _authorities)
        {
            authority.Dispose();
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string TlsDirectory(Func<TestCertificates, System.Security.Cryptography.X509Certificates.X509Certificate2> issue)
    {
        var authority = TestCertificates.CreateAuthority();
        _authorities.Add(authority);
        // Only the files matter here.
        issue(authority).Dispose();
        return authority.Directory;
    }
}

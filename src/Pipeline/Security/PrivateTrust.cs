using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pipeline.Security;

/// <summary>
/// Whether a peer's certificate chains to one of a ca_file's certificates, and only those: the system's store is not
/// consulted, so a certificate from a public CA does not pass a private one's check.
/// </summary>
public static class PrivateTrust
{
    /// <param name="presentedChain">What the handshake built; the intermediates the peer sent are taken from it.</param>
    /// <param name="usage">An extended key usage the certificate must allow when it lists any, or null.</param>
    public static bool Chains(X509Certificate presented, X509Chain? presentedChain, X509Certificate2Collection authorities, Oid? usage)
    {
        using var peer = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        // No egress for CRL or OCSP fetches, and a fetch per handshake would stall it (docs/security.md, Revocation).
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (usage is not null)
        {
            chain.ChainPolicy.ApplicationPolicy.Add(usage);
        }
        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }
        return chain.Build(peer);
    }
}

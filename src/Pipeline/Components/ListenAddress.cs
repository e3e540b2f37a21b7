using System.Globalization;
using System.Net;

namespace Pipeline.Components;

/// <summary>
/// Where a server listens, as YAML writes it: <c>ip:port</c>, <c>[::]:port</c>, <c>localhost:port</c>,
/// <c>*:port</c>, optionally with <c>http://</c> or <c>https://</c> in front. The scheme only states intent:
/// <c>https://</c> is refused without a <c>tls</c> block and <c>http://</c> with one, so that what the address says
/// is what the server does.
/// </summary>
public sealed record ListenAddress(IPEndPoint EndPoint, string? Scheme)
{
    public const string Expected = "ip:port (such as 0.0.0.0:8080, [::]:8080, localhost:8080 or *:8080), optionally after http:// or https://";

    public static bool TryParse(string text, out ListenAddress address)
    {
        address = null!;
        string? scheme = null;
        foreach (var prefix in (ReadOnlySpan<string>)["http://", "https://"])
        {
            if (text.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                scheme = prefix[..^3];
                text = text[prefix.Length..].TrimEnd('/');
            }
        }
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon < text.LastIndexOf(']') || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port > IPEndPoint.MaxPort)
        {
            return false;
        }
        var host = text[..colon];
        IPAddress? ip = host switch
        {
            "*" => IPAddress.Any,
            // Kestrel's ListenLocalhost cannot bind port 0, and tests need port 0; loopback is what localhost means here.
            "localhost" => IPAddress.Loopback,
            _ => IPAddress.TryParse(host.Trim('[', ']'), out var parsed) ? parsed : null,
        };
        if (ip is null)
        {
            return false;
        }
        address = new ListenAddress(new IPEndPoint(ip, port), scheme);
        return true;
    }

    /// <summary>The mismatch between the scheme and whether TLS is configured, or null when they agree.</summary>
    public string? SchemeMismatch(bool tlsConfigured) => (Scheme, tlsConfigured) switch
    {
        ("https", false) => "an https:// address needs a tls block (cert_file and key_file) to serve TLS; add one, or write the address without https://",
        ("http", true) => "an http:// address with a tls block: the server would speak TLS anyway; write https:// or leave the scheme out",
        _ => null,
    };
}

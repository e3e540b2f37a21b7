using Pipeline.Components;

namespace Pipeline.Security;

/// <summary>
/// <c>admin:</c>: where the admin port listens and how it is protected. Read-only endpoints (<c>/healthz</c>,
/// <c>/readyz</c>, <c>/metrics</c>, <c>/topology</c>, <c>GET /loglevel</c>) are open unless
/// <see cref="ProtectReadOnly"/>, because kubelet probes and Prometheus scrape them; mutating ones (<c>PUT
/// /loglevel</c>) always need a token of <see cref="Auth"/>, and are refused when there is none.
/// </summary>
public sealed class AdminSettings
{
    [Option("Where the admin port listens: host:port, optionally after http:// or https:// (https needs tls).", Example = "127.0.0.1:9464")]
    public string Address { get; set; } = "0.0.0.0:9464";

    [Option("Serve the admin port over HTTPS, as an http source's tls (cert_file, key_file, ca_file for mutual TLS, min_version).",
        Example = "{ cert_file: /etc/pipeline/tls/tls.crt, key_file: /etc/pipeline/tls/tls.key }")]
    public ServerTlsSettings? Tls { get; set; }

    [Option("Tokens for the mutating endpoints (PUT /loglevel), as an http source's auth. Without it they answer 403.",
        Example = "{ strategy: bearer, tokens_file: /etc/pipeline/admin-token/token }")]
    public AuthSettings? Auth { get; set; }

    [Option("Require auth's token on the read-only endpoints too (/healthz, /readyz, /metrics, /topology, GET /loglevel): probes and the scraper must then send it.",
        Example = "true")]
    public bool ProtectReadOnly { get; set; }
}

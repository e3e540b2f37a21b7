using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// The authentication and TLS counters of one server or client (an http source, the admin port, an http sink), bound
/// once. Reasons are fixed words: no token, header value or certificate subject ever becomes a label.
/// </summary>
public sealed class SecurityInstruments
{
    /// <summary>No credential in the request (no Authorization header, no API key header).</summary>
    public const string MissingCredential = "missing_credential";

    /// <summary>A credential that matches no accepted token.</summary>
    public const string InvalidCredential = "invalid_credential";

    /// <summary>A mutating admin endpoint called while admin.auth is not configured: refused whatever was sent.</summary>
    public const string NotConfigured = "not_configured";

    /// <summary>An endpoint that shows event contents (/tap) called from a non-loopback client while admin.auth is not configured.</summary>
    public const string NotLoopback = "not_loopback";

    /// <summary>A TLS client certificate missing, or not issued by the server's ca_file (mutual TLS).</summary>
    public const string ClientCertificate = "client_certificate";

    private readonly PipelineMetrics _owner;
    private readonly string[] _labels;

    internal SecurityInstruments(PipelineMetrics owner, string pipeline, string server)
    {
        _owner = owner;
        _labels = [pipeline, server];
        Server = server;
    }

    /// <summary>The server's or client's name in the <c>server</c> label and in logs.</summary>
    public string Server { get; }

    /// <summary>A refusal for one of this type's reasons; the series is exported at 0 from the first call, so an alert on its rate sees the first failure.</summary>
    public MetricCounter AuthFailures(string reason) => new MetricCounter(_owner.AuthFailures.WithLabels([.. _labels, reason])).Published();

    /// <summary>A reload of a credential file, <c>certificate</c> or <c>tokens</c>, that <paramref name="loaded"/> or failed.</summary>
    public void CredentialReloaded(string credential, bool loaded) => _owner.CredentialReloads.WithLabels([.. _labels, credential, loaded ? "loaded" : "failed"]).Inc();

    /// <summary>Sets the expiry gauge to the presented certificate's NotAfter.</summary>
    public void CertificateExpires(DateTimeOffset notAfter) => _owner.TlsCertificateExpiry.WithLabels(_labels).Set(notAfter.ToUnixTimeSeconds());
}

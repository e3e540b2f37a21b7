using Pipeline.Components;
using Pipeline.Security;

namespace Pipeline.Sources.Otlp;

/// <summary>One of the otlp source's two servers, <c>grpc:</c> or <c>http:</c>: where it listens and whom it lets in.</summary>
public sealed class OtlpListenerSettings
{
    [Option("Address this server listens on, as ip:port ([::]:port for IPv6, *:port for every interface). Default: 0.0.0.0:4317 for grpc, 0.0.0.0:4318 for http (OTLP's ports).",
        Example = "0.0.0.0:4317")]
    public string? Address { get; set; }

    [Option("Serve over TLS: cert_file and key_file (re-read when they change), min_version, and ca_file for mutual TLS. docs/security.md.",
        Example = "{ cert_file: /etc/pipeline/tls/tls.crt, key_file: /etc/pipeline/tls/tls.key }")]
    public ServerTlsSettings? Tls { get; set; }

    [Option("Require a token on every request: strategy bearer (Authorization: Bearer, the OTel SDKs' OTEL_EXPORTER_OTLP_HEADERS) or api_key (a header), tokens from tokens_file and tokens_env. Without one the answer is HTTP 401 (gRPC UNAUTHENTICATED). docs/security.md.",
        Example = "{ strategy: bearer, tokens_file: /etc/pipeline/ingest-tokens/tokens }")]
    public AuthSettings? Auth { get; set; }

    /// <summary>Checks the block and returns its parsed address; errors name <paramref name="option"/>.address and the like.</summary>
    internal ListenAddress Validate(string option, string defaultAddress, Func<string, string?> environment)
    {
        var text = Address ?? defaultAddress;
        if (!ListenAddress.TryParse(text, out var address))
        {
            throw new ComponentBuildException(option + ".address", $"expected {ListenAddress.Expected}, found '{text}'");
        }
        ComponentBuildException.ThrowIfAnyFails(
            () =>
            {
                if (address.SchemeMismatch(Tls is not null) is { } mismatch)
                {
                    throw new ComponentBuildException(option + ".address", mismatch);
                }
            },
            () => Tls?.Validate(option + ".tls"),
            () => Auth?.Validate(option + ".auth", environment));
        return address;
    }
}

using Microsoft.AspNetCore.Http;
using Pipeline.Telemetry;
using Pipeline.Telemetry.Logging;

namespace Pipeline.Security;

/// <summary>
/// Checks a request's token against an <c>auth</c> block's, before anything of its body is read. A request without a
/// valid one is answered 401 with <c>WWW-Authenticate</c> and the connection closed, so its body is never read; the
/// refusal is counted by reason and logged rate-limited with the client's address, never with what it sent.
/// </summary>
public sealed class RequestAuthenticator : IDisposable
{
    private const string Realm = "pipeline";

    private readonly AuthSettings _settings;
    private readonly AccessTokens _environmentTokens;
    private readonly SecurityInstruments _instruments;
    private readonly MetricCounter _missing;
    private readonly MetricCounter _invalid;
    private readonly Serilog.ILogger _logger;
    private readonly FailureLogLimiter _refusals = FailureLogLimiter.CreateDefault(TimeProvider.System);
    private readonly PolledFiles? _file;
    private volatile AccessTokens _fileTokens;

    /// <exception cref="AccessTokenException">The tokens cannot be read now.</exception>
    public RequestAuthenticator(AuthSettings settings, Func<string, string?> environment, SecurityInstruments instruments, Serilog.ILogger logger, TimeProvider? time = null)
    {
        _settings = settings;
        _instruments = instruments;
        _logger = logger;
        _missing = instruments.AuthFailures(SecurityInstruments.MissingCredential);
        _invalid = instruments.AuthFailures(SecurityInstruments.InvalidCredential);
        _environmentTokens = AccessTokens.Of(AccessTokens.ReadEnvironment(settings.TokensEnv, environment));
        _fileTokens = settings.TokensFile is { } file ? AccessTokens.Of(AccessTokens.ReadFile(file)) : AccessTokens.Of([]);
        _file = settings.TokensFile is { } watched ? new PolledFiles([watched], ReloadFile, time) : null;
    }

    /// <summary>Runs <paramref name="next"/> only for a request with a valid token.</summary>
    public RequestDelegate Guard(RequestDelegate next) => http => IsAuthenticated(http) ? next(http) : RefuseAsync(http);

    /// <summary>True when the request carries an accepted token; false after counting and logging why not.</summary>
    public bool IsAuthenticated(HttpContext http)
    {
        var presented = Credential(http.Request);
        if (presented.IsEmpty)
        {
            Refused(http, _missing, SecurityInstruments.MissingCredential);
            return false;
        }
        // Both sets are checked whatever the first answers, so the time taken does not say which one holds the token.
        var accepted = _fileTokens.Accepts(presented) | _environmentTokens.Accepts(presented);
        if (!accepted)
        {
            Refused(http, _invalid, SecurityInstruments.InvalidCredential);
        }
        return accepted;
    }

    /// <summary>The 401 answer: what to send, not why it failed beyond RFC 6750's error code.</summary>
    public Task RefuseAsync(HttpContext http)
    {
        var invalid = !Credential(http.Request).IsEmpty;
        var response = http.Response;
        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.Headers.WWWAuthenticate = _settings.Strategy == AuthStrategy.Bearer
            ? $"Bearer realm=\"{Realm}\"" + (invalid ? ", error=\"invalid_token\"" : "")
            : $"ApiKey realm=\"{Realm}\", header=\"{_settings.Header}\"";
        // Close the connection after the answer: Kestrel then never reads the unauthenticated body to keep it alive.
        response.Headers.Connection = "close";
        response.ContentType = "application/json";
        return response.WriteAsync(invalid ? "{\"error\":\"the credential is not valid\"}\n" : "{\"error\":\"a credential is required\"}\n", http.RequestAborted);
    }

    /// <summary>Re-reads tokens_file now (the poll does this every second after a change).</summary>
    public void ReloadFile()
    {
        try
        {
            var tokens = AccessTokens.Of(AccessTokens.ReadFile(_settings.TokensFile!));
            _fileTokens = tokens;
            _instruments.CredentialReloaded("tokens", loaded: true);
            _logger.Information("Tokens of {Server} reloaded from {TokensFile}: {Count} accepted", _instruments.Server, _settings.TokensFile, tokens.Count);
        }
        catch (AccessTokenException e)
        {
            _instruments.CredentialReloaded("tokens", loaded: false);
            _logger.Warning("Tokens file of {Server} changed but does not load, so the previous tokens stay accepted: {Error}", _instruments.Server, e.Message);
        }
    }

    public void Dispose() => _file?.Dispose();

    private ReadOnlySpan<char> Credential(HttpRequest request)
    {
        if (_settings.Strategy == AuthStrategy.ApiKey)
        {
            return request.Headers.TryGetValue(_settings.Header, out var key) && key.Count == 1 ? (key[0] ?? "").AsSpan().Trim() : default;
        }
        var authorization = request.Headers.Authorization;
        if (authorization.Count != 1 || authorization[0] is not { } value)
        {
            return default;
        }
        var span = value.AsSpan().Trim();
        const string Scheme = "Bearer ";
        return span.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? span[Scheme.Length..].Trim() : default;
    }

    private void Refused(HttpContext http, MetricCounter counter, string reason)
    {
        counter.Inc();
        if (_refusals.ShouldLog(out var suppressed))
        {
            _logger.Warning("{Server} refused {Method} {Path} from {RemoteAddress}: {Reason}{Suppressed:l}",
                _instruments.Server, http.Request.Method, http.Request.Path.Value, http.Connection.RemoteIpAddress?.ToString(), reason,
                suppressed > 0 ? $" ({suppressed} more not logged)" : "");
        }
    }
}

using Pipeline.Components;

namespace Pipeline.Security;

/// <summary>
/// <c>auth:</c> on a server (an http source, the admin port): the tokens a request must carry one of. Several tokens
/// are accepted at once so that they can be rotated: add the new one, move the clients, remove the old one.
/// </summary>
public sealed class AuthSettings
{
    /// <summary>The shortest token accepted: 128 bits as hex, so that a token cannot be guessed in any number of tries a rate of requests allows.</summary>
    public const int MinimumTokenLength = 32;

    [Option("bearer: the client sends Authorization: Bearer <token>. api_key: it sends the token in `header`.", Example = "api_key")]
    public AuthStrategy Strategy { get; set; } = AuthStrategy.Bearer;

    [Option("File of accepted tokens, one a line (blank lines and lines starting with # are skipped): a Kubernetes Secret mounted as a file. Re-read when it changes, so tokens rotate without a restart.",
        Example = "/etc/pipeline/ingest-tokens/tokens")]
    public string? TokensFile { get; set; }

    [Option("Environment variables whose values are accepted tokens too (read at start; an unset or empty one is a configuration error).",
        Example = "[INGEST_TOKEN, INGEST_TOKEN_NEXT]")]
    public List<string> TokensEnv { get; set; } = [];

    [Option("For strategy api_key: the request header that carries the token.", Example = "X-Pipeline-Key")]
    public string Header { get; set; } = "X-API-Key";

    /// <summary>Checks what <c>validate</c> can: some token source, and every token readable and long enough.</summary>
    /// <param name="option">Where this block sits: <c>auth</c>, or <c>admin.auth</c>.</param>
    /// <param name="environment">The environment the service will run with.</param>
    public void Validate(string option, Func<string, string?> environment)
    {
        if (TokensFile is null && TokensEnv.Count == 0)
        {
            throw new ComponentBuildException(option, "expected tokens_file or tokens_env (where the accepted tokens come from), found neither");
        }
        if (string.IsNullOrWhiteSpace(Header) || Header.Any(c => c <= ' ' || c == ':' || c >= 0x7f))
        {
            throw new ComponentBuildException(option + ".header", $"expected a header name, found '{Header}'");
        }
        try
        {
            AccessTokens.Read(this, environment);
        }
        catch (AccessTokenException e)
        {
            throw new ComponentBuildException(option + "." + e.Option, e.Message, e);
        }
    }
}

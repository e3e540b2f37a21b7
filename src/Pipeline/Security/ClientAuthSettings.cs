using System.Text;
using Pipeline.Components;

namespace Pipeline.Security;

/// <summary>
/// <c>auth:</c> on a client sink (Vector's names: <c>strategy</c>, <c>user</c>): the credentials it sends to its
/// backend. A secret comes from an environment variable or a file (a mounted Secret), never from the topology, which
/// is checked into git and shown by <c>validate</c>.
/// </summary>
public sealed class ClientAuthSettings
{
    [Option("basic (user with password_env or password_file), api_key (api_key_env or api_key_file) or bearer (token_env or token_file).", Required = true, Example = "api_key")]
    public ClientAuthStrategy Strategy { get; set; } = ClientAuthStrategy.Basic;

    [Option("For basic: the user name.", Example = "pipeline-writer")]
    public string? User { get; set; }

    [Option("For basic: environment variable holding the password (read at start).", Example = "ES_PASSWORD")]
    public string? PasswordEnv { get; set; }

    [Option("For basic: file holding the password (a mounted Secret; trailing newline ignored), read at start.", Example = "/etc/pipeline/es/password")]
    public string? PasswordFile { get; set; }

    [Option("For api_key: environment variable holding the key, as Elasticsearch's create-API-key call returns it in `encoded` (read at start).", Example = "ES_API_KEY")]
    public string? ApiKeyEnv { get; set; }

    [Option("For api_key: file holding the key (a mounted Secret; trailing newline ignored), read at start.", Example = "/etc/pipeline/es/api-key")]
    public string? ApiKeyFile { get; set; }

    [Option("For bearer: environment variable holding the token (read at start).", Example = "BACKEND_TOKEN")]
    public string? TokenEnv { get; set; }

    [Option("For bearer: file holding the token (a mounted Secret; trailing newline ignored), read at start.", Example = "/etc/pipeline/backend/token")]
    public string? TokenFile { get; set; }

    /// <summary>
    /// The Authorization header's scheme and parameter, the secret read now; throws naming the option when the block
    /// is incomplete, mixes strategies, or its secret is unset or empty.
    /// </summary>
    /// <param name="option">Where this block sits, such as <c>auth</c>.</param>
    /// <param name="environment">The environment the service runs with.</param>
    public (string Scheme, string Parameter) ReadAuthorization(string option, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        // A secret given for another strategy is a mistake the user should hear about, not a setting silently ignored.
        foreach (var (name, value, owner) in new (string, string?, ClientAuthStrategy)[]
        {
            ("user", User, ClientAuthStrategy.Basic), ("password_env", PasswordEnv, ClientAuthStrategy.Basic), ("password_file", PasswordFile, ClientAuthStrategy.Basic),
            ("api_key_env", ApiKeyEnv, ClientAuthStrategy.ApiKey), ("api_key_file", ApiKeyFile, ClientAuthStrategy.ApiKey),
            ("token_env", TokenEnv, ClientAuthStrategy.Bearer), ("token_file", TokenFile, ClientAuthStrategy.Bearer),
        })
        {
            if (value is not null && owner != Strategy)
            {
                throw new ComponentBuildException($"{option}.{name}", $"{name} belongs to strategy {NameOf(owner)}, found it with strategy {NameOf(Strategy)}");
            }
        }
        switch (Strategy)
        {
            case ClientAuthStrategy.Basic:
                if (string.IsNullOrWhiteSpace(User))
                {
                    throw new ComponentBuildException(option + ".user", "expected a user name for strategy basic, found none");
                }
                if (User.Contains(':', StringComparison.Ordinal))
                {
                    throw new ComponentBuildException(option + ".user", $"expected a user name without ':' (basic authentication separates user and password with it), found '{User}'");
                }
                var password = ReadSecret(option, "password", PasswordEnv, PasswordFile, environment);
                return ("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + password)));
            case ClientAuthStrategy.ApiKey:
                return ("ApiKey", ReadSecret(option, "api_key", ApiKeyEnv, ApiKeyFile, environment));
            default:
                return ("Bearer", ReadSecret(option, "token", TokenEnv, TokenFile, environment));
        }
    }

    private static string NameOf(ClientAuthStrategy strategy) => strategy switch
    {
        ClientAuthStrategy.Basic => "basic",
        ClientAuthStrategy.ApiKey => "api_key",
        _ => "bearer",
    };

    private static string ReadSecret(string option, string secret, string? variable, string? file, Func<string, string?> environment)
    {
        if ((variable is null) == (file is null))
        {
            throw new ComponentBuildException(option, $"expected one of {secret}_env and {secret}_file (where the {secret} comes from), found " + (variable is null ? "neither" : "both"));
        }
        if (variable is not null)
        {
            return environment(variable) is { Length: > 0 } value
                ? value
                : throw new ComponentBuildException($"{option}.{secret}_env", $"expected the environment variable {variable} to hold the {secret}, found it unset or empty");
        }
        try
        {
            var value = File.ReadAllText(file!).TrimEnd('\r', '\n');
            return value.Length > 0 ? value : throw new ComponentBuildException($"{option}.{secret}_file", $"expected the {secret} in {file}, found an empty file");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ComponentBuildException($"{option}.{secret}_file", $"expected a readable file, found {file}: {e.Message}", e);
        }
    }
}

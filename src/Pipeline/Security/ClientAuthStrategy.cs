namespace Pipeline.Security;

/// <summary>How a client sink proves who it is to its backend: the <c>strategy</c> of a <see cref="ClientAuthSettings"/> block.</summary>
public enum ClientAuthStrategy
{
    /// <summary>Authorization: Basic, from a user and a password.</summary>
    Basic,

    /// <summary>Authorization: ApiKey, Elasticsearch's form (the base64 <c>encoded</c> value its create-API-key call returns).</summary>
    ApiKey,

    /// <summary>Authorization: Bearer, a token.</summary>
    Bearer,
}

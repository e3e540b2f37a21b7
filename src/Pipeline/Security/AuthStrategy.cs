namespace Pipeline.Security;

/// <summary>How a client proves it may call a server.</summary>
public enum AuthStrategy
{
    /// <summary><c>Authorization: Bearer &lt;token&gt;</c> (RFC 6750).</summary>
    Bearer,

    /// <summary>The key in a header of its own (<c>X-API-Key</c> by default).</summary>
    ApiKey,
}

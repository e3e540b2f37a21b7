namespace Pipeline.Security;

/// <summary>Accepted tokens that cannot be read or would be unsafe, naming the option they come from. The message never holds a token.</summary>
public sealed class AccessTokenException(string option, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>tokens_file or tokens_env.</summary>
    public string Option { get; } = option;
}

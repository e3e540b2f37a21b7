namespace Pipeline.Security;

/// <summary>A TLS file that cannot work (missing, unreadable, not PEM, a key that does not match), naming the option that points at it.</summary>
public sealed class TlsFileException(string option, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The option's name inside the <c>tls</c> block: cert_file, key_file or ca_file.</summary>
    public string Option { get; } = option;
}

using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Pipeline.Security;

/// <summary>
/// A set of accepted tokens, held only as SHA-256 digests, that a presented token is checked against in constant time.
/// </summary>
/// <remarks>
/// The presented token is hashed and compared with every digest by <see cref="CryptographicOperations.FixedTimeEquals"/>,
/// without stopping at a match: how long a check takes tells nothing about how much of a token was right, nor about
/// its length, nor which token matched. Only the number of accepted tokens shows, which is no secret.
/// </remarks>
public sealed class AccessTokens
{
    /// <summary>Longer credentials are refused without hashing, so a huge header costs nothing.</summary>
    private const int MaxPresentedLength = 4096;

    private readonly byte[][] _digests;

    private AccessTokens(byte[][] digests) => _digests = digests;

    public int Count => _digests.Length;

    public static AccessTokens Of(IEnumerable<string> tokens) => new([.. tokens.Select(t => SHA256.HashData(Encoding.UTF8.GetBytes(t)))]);

    /// <summary>The tokens of the file and of the environment variables an <c>auth</c> block names, checked.</summary>
    /// <exception cref="AccessTokenException">A file that cannot be read, an unset variable, no token at all, or a token that is too short.</exception>
    public static AccessTokens Read(AuthSettings settings, Func<string, string?> environment)
        => Of([.. settings.TokensFile is { } file ? ReadFile(file) : [], .. ReadEnvironment(settings.TokensEnv, environment)]);

    /// <summary>The tokens held by environment variables, each checked; an unset or empty one is an error.</summary>
    public static IReadOnlyList<string> ReadEnvironment(IEnumerable<string> names, Func<string, string?> environment)
    {
        var tokens = new List<string>();
        foreach (var name in names)
        {
            var value = environment(name)?.Trim();
            if (string.IsNullOrEmpty(value))
            {
                throw new AccessTokenException("tokens_env", $"expected the environment variable {name} to hold a token, found it unset or empty");
            }
            Check(value, "tokens_env", $"the token in {name}");
            tokens.Add(value);
        }
        return tokens;
    }

    /// <summary>The tokens of one file: one a line, blank lines and # comments skipped. At least one.</summary>
    public static IReadOnlyList<string> ReadFile(string file)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var what = e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message;
            throw new AccessTokenException("tokens_file", $"cannot read '{file}': {what}", e);
        }
        var tokens = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            Check(line, "tokens_file", $"the token on line {i + 1} of '{file}'");
            tokens.Add(line);
        }
        if (tokens.Count == 0)
        {
            throw new AccessTokenException("tokens_file", $"expected at least one token in '{file}' (one a line), found none");
        }
        return tokens;
    }

    /// <summary>True when <paramref name="presented"/> is one of the tokens.</summary>
    public bool Accepts(ReadOnlySpan<char> presented)
    {
        if (presented.IsEmpty || presented.Length > MaxPresentedLength)
        {
            return false;
        }
        var utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(presented.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(presented, utf8);
            Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(utf8.AsSpan(0, length), digest);
            CryptographicOperations.ZeroMemory(utf8.AsSpan(0, length));
            var match = false;
            foreach (var accepted in _digests)
            {
                match |= CryptographicOperations.FixedTimeEquals(digest, accepted);
            }
            return match;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }

    private static void Check(string token, string option, string which)
    {
        if (token.Length < AuthSettings.MinimumTokenLength)
        {
            throw new AccessTokenException(option, $"{which} has {token.Length} characters: expected at least {AuthSettings.MinimumTokenLength} (generate one with: openssl rand -hex 32)");
        }
        if (token.Any(c => c <= ' ' || c >= 0x7f))
        {
            throw new AccessTokenException(option, $"{which} holds a space or a character outside printable ASCII: expected one token a line");
        }
    }
}

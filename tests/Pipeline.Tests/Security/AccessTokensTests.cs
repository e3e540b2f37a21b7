using System.Security.Cryptography;
using Pipeline.Security;

namespace Pipeline.Tests.Security;

/// <summary>What a token check accepts: exactly an accepted token, nothing near it.</summary>
public sealed class AccessTokensTests
{
    private static readonly string First = RandomNumberGenerator.GetHexString(64, lowercase: true);
    private static readonly string Second = RandomNumberGenerator.GetHexString(64, lowercase: true);
    private readonly AccessTokens _tokens = AccessTokens.Of([First, Second]);

    [Fact]
    public void Each_accepted_token_is_accepted()
    {
        Assert.True(_tokens.Accepts(First));
        Assert.True(_tokens.Accepts(Second));
    }

    [Fact]
    public void A_prefix_an_extension_a_case_change_an_empty_or_a_huge_credential_is_refused()
    {
        Assert.False(_tokens.Accepts(First.AsSpan(0, First.Length - 1)));
        Assert.False(_tokens.Accepts(First + "0"));
        Assert.False(_tokens.Accepts(First.ToUpperInvariant()));
        Assert.False(_tokens.Accepts(""));
        Assert.False(_tokens.Accepts(new string('a', 1_000_000)));
    }

    [Fact]
    public void An_empty_set_accepts_nothing()
    {
        Assert.False(AccessTokens.Of([]).Accepts(First));
    }

    [Fact]
    public void A_tokens_file_skips_comments_and_blank_lines_and_reads_every_token()
    {
        var file = Path.Combine(Path.GetTempPath(), "pipeline-tokens-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(file, $"# current\n{First}\n\n   \n# next, during a rotation\n  {Second}  \n");
        try
        {
            Assert.Equal([First, Second], AccessTokens.ReadFile(file));
        }
        finally
        {
            File.Delete(file);
        }
    }
}

using Pipeline.Events;

namespace Pipeline.Tests.Events;

public sealed class FieldPathTests
{
    [Fact]
    public void Dotted_paths_split_into_keys()
    {
        var path = FieldPath.Parse(".user.id");

        Assert.Equal(".user.id", path.Text);
        Assert.Equal(["user", "id"], path.Segments.Select(s => s.Key));
        Assert.All(path.Segments, s => Assert.False(s.IsIndex));
        Assert.Equal("id"u8.ToArray(), path.Segments[1].KeyUtf8);
    }

    [Fact]
    public void Bare_names_are_accepted_and_normalised_with_a_leading_dot()
    {
        Assert.Equal(".message", FieldPath.Parse("message").Text);
        Assert.Equal(FieldPath.Parse(".user.id"), FieldPath.Parse("  user.id "));
    }

    [Fact]
    public void The_root_is_a_single_dot()
    {
        Assert.True(FieldPath.Parse(".").IsRoot);
        Assert.Same(FieldPath.Root, FieldPath.Parse(" . "));
    }

    [Fact]
    public void Quoted_segments_hold_odd_keys_with_escaped_quotes()
    {
        var path = FieldPath.Parse(""".a."odd key"."say \"hi\"".b""");

        Assert.Equal(["a", "odd key", "say \"hi\"", "b"], path.Segments.Select(s => s.Key));
    }

    [Fact]
    public void Indexes_follow_keys_and_other_indexes()
    {
        var path = FieldPath.Parse(".items[0].tags[12][3]");

        Assert.Equal([-1, 0, -1, 12, 3], path.Segments.Select(s => s.Index));
        Assert.Equal([false, true, false, true, true], path.Segments.Select(s => s.IsIndex));
    }

    [Fact]
    public void Keys_may_use_letters_digits_and_a_few_symbols()
    {
        Assert.Equal(["@timestamp", "k8s-pod_name$", "é"], FieldPath.Parse(".@timestamp.k8s-pod_name$.é").Segments.Select(s => s.Key));
    }

    [Theory]
    [InlineData("", "a field path must not be empty (expected e.g. .message or .user.id)")]
    [InlineData("   ", "a field path must not be empty (expected e.g. .message or .user.id)")]
    [InlineData(".a.", "field path '.a.' ends with a dot")]
    [InlineData(".\"abc", "field path '.\"abc' has an unterminated quoted segment")]
    [InlineData(".a b", "field path '.a b' has an unexpected ' ' at position 3; quote odd keys as .\"a b\"")]
    [InlineData(".a..b", "field path '.a..b' has an empty segment at position 4")]
    [InlineData(".a[x]", "field path '.a[x]' has an invalid array index at position 3 (expected [0], [1], …)")]
    [InlineData(".a[-1]", "field path '.a[-1]' has an invalid array index at position 3 (expected [0], [1], …)")]
    [InlineData(".a[1", "field path '.a[1' has an invalid array index at position 3 (expected [0], [1], …)")]
    [InlineData(".a]", "field path '.a]' has an unexpected ']' at position 3; quote odd keys as .\"a]\"")]
    public void Invalid_paths_are_rejected_with_a_message_naming_the_problem(string text, string message)
    {
        Assert.False(FieldPath.TryParse(text, out _, out var error));
        Assert.Equal(message, error);
        Assert.Equal(message, Assert.Throws<FormatException>(() => FieldPath.Parse(text)).Message);
    }

    [Fact]
    public void Paths_are_equal_by_normalised_text()
    {
        Assert.Equal(FieldPath.Parse("a.b").GetHashCode(), FieldPath.Parse(".a.b").GetHashCode());
        Assert.NotEqual(FieldPath.Parse(".a.b"), FieldPath.Parse(".a[0]"));
    }
}

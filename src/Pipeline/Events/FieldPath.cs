using System.Text;

namespace Pipeline.Events;

/// <summary>
/// A parsed field path in Vector's syntax: <c>.user.id</c>, <c>."odd key"</c>, <c>.items[0]</c>, or <c>.</c> for the root.
/// Parse once at build time, then use it for every event: lookups never re-parse or allocate.
/// </summary>
/// <remarks>
/// Hand-written because the grammar is four tokens long and no served package parses Vector paths.
/// </remarks>
public sealed class FieldPath : IEquatable<FieldPath>
{
    private FieldPath(string text, PathSegment[] segments)
    {
        Text = text;
        SegmentArray = segments;
    }

    public static FieldPath Root { get; } = new(".", []);

    /// <summary>The path as the user wrote it, normalised with a leading dot.</summary>
    public string Text { get; }

    public IReadOnlyList<PathSegment> Segments => SegmentArray;

    /// <summary>The segments as an array, so that per-event lookups index without interface dispatch.</summary>
    internal PathSegment[] SegmentArray { get; }

    public bool IsRoot => Segments.Count == 0;

    public static FieldPath Parse(string text)
    {
        if (!TryParse(text, out var path, out var error))
        {
            throw new FormatException(error);
        }
        return path;
    }

    public static bool TryParse(string text, out FieldPath path, out string error)
    {
        path = Root;
        error = "";
        var s = text.Trim();
        if (s.Length == 0)
        {
            error = "a field path must not be empty (expected e.g. .message or .user.id)";
            return false;
        }
        if (s == ".")
        {
            return true;
        }
        // Bare names ("message", "user.id") are accepted as a convenience, as Vector's older syntax did.
        if (s[0] != '.' && s[0] != '[')
        {
            s = "." + s;
        }
        var segments = new List<PathSegment>();
        var i = 0;
        while (i < s.Length)
        {
            var c = s[i];
            if (c == '.')
            {
                i++;
                if (i >= s.Length)
                {
                    error = $"field path '{text}' ends with a dot";
                    return false;
                }
                if (s[i] == '"')
                {
                    var end = i + 1;
                    var sb = new StringBuilder();
                    while (end < s.Length && s[end] != '"')
                    {
                        if (s[end] == '\\' && end + 1 < s.Length)
                        {
                            end++;
                        }
                        sb.Append(s[end]);
                        end++;
                    }
                    if (end >= s.Length)
                    {
                        error = $"field path '{text}' has an unterminated quoted segment";
                        return false;
                    }
                    segments.Add(PathSegment.ForKey(sb.ToString()));
                    i = end + 1;
                }
                else
                {
                    var start = i;
                    while (i < s.Length && s[i] != '.' && s[i] != '[')
                    {
                        if (!(char.IsLetterOrDigit(s[i]) || s[i] is '_' or '-' or '@' or '$'))
                        {
                            error = $"field path '{text}' has an unexpected '{s[i]}' at position {i + 1}; quote odd keys as .\"{s[start..]}\"";
                            return false;
                        }
                        i++;
                    }
                    if (i == start)
                    {
                        error = $"field path '{text}' has an empty segment at position {i + 1}";
                        return false;
                    }
                    segments.Add(PathSegment.ForKey(s[start..i]));
                }
            }
            else if (c == '[')
            {
                var close = s.IndexOf(']', i);
                if (close < 0 || !int.TryParse(s.AsSpan(i + 1, close - i - 1), out var index) || index < 0)
                {
                    error = $"field path '{text}' has an invalid array index at position {i + 1} (expected [0], [1], …)";
                    return false;
                }
                segments.Add(PathSegment.ForIndex(index));
                i = close + 1;
            }
            else
            {
                error = $"field path '{text}' has an unexpected '{c}' at position {i + 1}";
                return false;
            }
        }
        path = new FieldPath(s, [.. segments]);
        return true;
    }

    public bool Equals(FieldPath? other) => other is not null && other.Text == Text;

    public override bool Equals(object? obj) => obj is FieldPath other && Equals(other);

    public override int GetHashCode() => Text.GetHashCode(StringComparison.Ordinal);

    public override string ToString() => Text;
}

/// <summary>One step of a <see cref="FieldPath"/>: an object key or an array index.</summary>
public sealed class PathSegment
{
    private PathSegment(string? key, int index)
    {
        Key = key;
        Index = index;
        KeyUtf8 = key is null ? [] : Encoding.UTF8.GetBytes(key);
    }

    /// <summary>The object key, or null for an array index.</summary>
    public string? Key { get; }

    /// <summary>The key as UTF-8, so that byte-level event stores compare without transcoding.</summary>
    public byte[] KeyUtf8 { get; }

    /// <summary>The array index, or -1 for an object key.</summary>
    public int Index { get; }

    public bool IsIndex => Key is null;

    public static PathSegment ForKey(string key) => new(key, -1);

    public static PathSegment ForIndex(int index) => new(null, index);
}

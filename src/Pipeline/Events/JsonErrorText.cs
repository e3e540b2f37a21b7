using System.Text.Json;

namespace Pipeline.Events;

/// <summary>
/// A <see cref="JsonException"/> in a dead-letter reason or an HTTP answer, in our words. System.Text.Json ends its
/// message with " LineNumber: 0 | BytePositionInLine: 1.", zero-based, which a user reads as "line 0" of a request
/// whose line 1 it was; the position becomes a 1-based column (and line, for JSON spread over lines).
/// </summary>
public static class JsonErrorText
{
    public static string Describe(JsonException ex)
    {
        var message = ex.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut >= 0)
        {
            message = message[..cut].TrimEnd();
        }
        message = message.TrimEnd('.');
        if (ex.BytePositionInLine is not { } column)
        {
            return message;
        }
        return ex.LineNumber is > 0 and { } line
            ? $"{message} (at line {line + 1}, column {column + 1})"
            : $"{message} (at column {column + 1})";
    }
}

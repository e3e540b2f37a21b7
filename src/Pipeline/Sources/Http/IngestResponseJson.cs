using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pipeline.Sources.Http;

/// <summary>How the http source writes its JSON answers, and in what words.</summary>
internal static partial class IngestResponseJson
{
    /// <summary>
    /// The default encoder escapes ' &lt; &gt; &amp; + and every non-ASCII character (so "isn't" reads "isn\u0027t")
    /// in case the JSON ends up inside an HTML page. These answers are application/json read by clients and people
    /// at a terminal, never markup, so the relaxed encoder keeps the text as written; it still escapes quotes,
    /// backslashes and control characters, so the body stays valid JSON.
    /// </summary>
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// A reason as the client should read it: System.Text.Json ends its messages with 0-based
    /// "LineNumber: 0 | BytePositionInLine: 5.", which reads like line 0 of a body whose line the answer already
    /// names; this says "at byte 6" (and the line within a JSON body when it is not the first).
    /// </summary>
    public static string Readable(string reason) => JsonPosition().Replace(reason, m =>
    {
        var line = long.Parse(m.Groups["line"].ValueSpan, CultureInfo.InvariantCulture);
        var bytePosition = long.Parse(m.Groups["byte"].ValueSpan, CultureInfo.InvariantCulture) + 1;
        return line == 0
            ? string.Create(CultureInfo.InvariantCulture, $" (at byte {bytePosition})")
            : string.Create(CultureInfo.InvariantCulture, $" (at line {line + 1}, byte {bytePosition})");
    });

    /// <summary>A JSON token as a person names it: "an array", not StartArray.</summary>
    public static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        _ => "nothing",
    };

    [GeneratedRegex(@"\.? (?:Path: \S+ \| )?LineNumber: (?<line>\d+) \| BytePositionInLine: (?<byte>\d+)\.?")]
    private static partial Regex JsonPosition();
}

using System.Text.Encodings.Web;
using System.Text.Json;

namespace Pipeline.Sources.Http;

/// <summary>How the http source writes its JSON answers, and in what words.</summary>
internal static class IngestResponseJson
{
    /// <summary>
    /// The default encoder escapes ' &lt; &gt; &amp; + and every non-ASCII character (so "isn't" reads "isn\u0027t")
    /// in case the JSON ends up inside an HTML page. These answers are application/json read by clients and people
    /// at a terminal, never markup, so the relaxed encoder keeps the text as written; it still escapes quotes,
    /// backslashes and control characters, so the body stays valid JSON.
    /// </summary>
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

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
}

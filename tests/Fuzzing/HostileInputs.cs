using System.Text;

namespace Pipeline.Fuzzing;

/// <summary>
/// The hostile-input corpus: inputs from the ingest tests and every input a fuzz run found a bug with. The fuzz
/// generators start from these (and mutate them); the corpus tests run each through every property, so a bug found
/// once stays found. Add to it, never remove from it: a new entry's name says what is hostile about it.
/// </summary>
public static class HostileInputs
{
    /// <summary>Lines that are, or are nearly, one event's JSON: each must parse, or fail with EventFormatException.</summary>
    public static IReadOnlyList<HostileInput> EventTexts { get; } =
    [
        HostileInput.Text("empty", ""),
        HostileInput.Text("unterminated object", """{"a":1"""),
        HostileInput.Text("unterminated string value", """{"n":"""),
        HostileInput.Text("trailing garbage", """{"a":1} x"""),
        HostileInput.Text("bare literal typo", """{"a":tru}"""),
        HostileInput.Text("trailing comma", """{"a":1,}"""),
        HostileInput.Text("array root", "[1,2]"),
        HostileInput.Text("string root", "\"text\""),
        HostileInput.Text("number root", "42"),
        HostileInput.Text("true root", "true"),
        HostileInput.Text("null root", "null"),
        HostileInput.Text("not json", "not json"),
        HostileInput.Text("lone high surrogate escape", """{"s":"\uD800"}"""),
        HostileInput.Text("lone low surrogate escape", """{"s":"\uDC00x"}"""),
        HostileInput.Text("reversed surrogate pair escape", """{"s":"\uDC00\uD800"}"""),
        HostileInput.Text("escaped NUL", """{"s":"\u0000"}"""),
        new HostileInput("raw NUL in a string", [.. "{\"s\":\""u8, 0, .. "\"}"u8]),
        new HostileInput("raw NUL between tokens", [.. "{\"s\":1"u8, 0, .. "}"u8]),
        new HostileInput("invalid UTF-8 in a string", [.. "{\"s\":\""u8, 0xC3, 0x28, .. "\"}"u8]),
        new HostileInput("overlong UTF-8 slash", [.. "{\"s\":\""u8, 0xC0, 0xAF, .. "\"}"u8]),
        new HostileInput("UTF-8 encoded surrogate", [.. "{\"s\":\""u8, 0xED, 0xA0, 0x80, .. "\"}"u8]),
        new HostileInput("invalid UTF-8 in a key", [.. "{\""u8, 0xFF, .. "\":1}"u8]),
        new HostileInput("truncated UTF-8 sequence at the end", [.. "{\"s\":\"a"u8, 0xE2, 0x82]),
        new HostileInput("BOM before the object", [0xEF, 0xBB, 0xBF, .. "{\"a\":1}"u8]),
        HostileInput.Text("huge integer", "{\"n\":1" + new string('0', 5000) + "}"),
        HostileInput.Text("huge exponent", """{"n":1e999999999}"""),
        HostileInput.Text("negative zero", """{"n":-0.0e0}"""),
        HostileInput.Text("leading zero", """{"n":012}"""),
        HostileInput.Text("long string", "{\"s\":\"" + new string('x', 200_000) + "\"}"),
        HostileInput.Text("long string of escapes", "{\"s\":\"" + string.Concat(Enumerable.Repeat("\\u00e9\\n", 20_000)) + "\"}"),
        HostileInput.Text("duplicate keys", """{"a":1,"a":{"b":2},"a":[3]}"""),
        HostileInput.Text("many duplicate keys", "{" + string.Join(",", Enumerable.Range(0, 5000).Select(i => $"\"k{i % 7}\":{i}")) + "}"),
        HostileInput.Text("nesting at the limit", Nested(63)),
        HostileInput.Text("nesting one past the limit", Nested(64)),
        HostileInput.Text("thousands of open arrays", "{\"a\":" + new string('[', 5000)),
        HostileInput.Text("thousands of open objects", string.Concat(Enumerable.Repeat("{\"a\":", 5000))),
        HostileInput.Text("thousands of closed arrays", "{\"a\":" + new string('[', 3000) + new string(']', 3000) + "}"),
        HostileInput.Text("CR inside a line", "{\"a\":1}\r"),
        HostileInput.Text("comment", """{"a":1 /* c */}"""),
        HostileInput.Text("single quotes", "{'a':1}"),
        HostileInput.Text("unquoted key", "{a:1}"),
        HostileInput.Text("control character in a string", "{\"s\":\"a\u0001b\"}"),
        HostileInput.Text("traceparent field", """{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01","m":1}"""),
        HostileInput.Text("traceparent field with bad separators", """{"traceparent":"00x0af7651916cd43dd8448eb211c80319cxb7ad6b7169203331x01"}"""),
        HostileInput.Text("traceparent field that is a number", """{"traceparent":7}"""),
    ];

    /// <summary>Whole NDJSON bodies: line structure (BOM, CRLF, blank lines, no final newline) around events.</summary>
    public static IReadOnlyList<HostileInput> NdjsonBodies { get; } =
    [
        HostileInput.Text("empty body", ""),
        HostileInput.Text("only newlines", "\n\n\r\n\n"),
        HostileInput.Text("only whitespace", " \t \r\n \t"),
        HostileInput.Text("CRLF lines", "{\"a\":1}\r\n{\"a\":2}\r\n"),
        HostileInput.Text("no final newline", "{\"a\":1}\n{\"a\":2}"),
        HostileInput.Text("blank lines between", "{\"a\":1}\n\n\n{\"a\":2}\n"),
        HostileInput.Text("valid then malformed then valid", "{\"n\":1}\n{broken\n{\"n\":3}\n"),
        HostileInput.Text("all malformed", "nope\nstill not json\n"),
        new HostileInput("BOM then lines", [0xEF, 0xBB, 0xBF, .. "{\"a\":1}\n{\"a\":2}\n"u8]),
        new HostileInput("BOM alone", [0xEF, 0xBB, 0xBF]),
        new HostileInput("truncated BOM", [0xEF, 0xBB]),
        new HostileInput("NUL lines", [0, (byte)'\n', 0, 0, (byte)'\n']),
        HostileInput.Text("lone CR separators", "{\"a\":1}\r{\"a\":2}\r"),
        HostileInput.Text("one line split by an escaped newline", "{\"a\":\"x\\\ny\"}\n"),
        HostileInput.Text("a JSON array as ndjson", "[{\"a\":1},{\"a\":2}]"),
    ];

    /// <summary>Whole application/json bodies: an array of objects, one object, or what is neither.</summary>
    public static IReadOnlyList<HostileInput> JsonBodies { get; } =
    [
        HostileInput.Text("empty json body", ""),
        HostileInput.Text("whitespace body", "  \r\n "),
        HostileInput.Text("empty array", "[]"),
        HostileInput.Text("array of objects", """[{"a":1},{"b":2}]"""),
        HostileInput.Text("array with non-objects", """[{"a":1},2,"x",null,[],{"b":2}]"""),
        HostileInput.Text("one object", """{"a":1}"""),
        HostileInput.Text("scalar root", "42"),
        HostileInput.Text("unterminated array", """[{"a":1},{"b":"""),
        HostileInput.Text("syntax error mid-array", """[{"a":1},{"b":2,},{"c":3}]"""),
        HostileInput.Text("trailing garbage after the array", """[{"a":1}] x"""),
        HostileInput.Text("two arrays", """[{"a":1}][{"a":2}]"""),
        HostileInput.Text("deep array of arrays", new string('[', 10_000) + new string(']', 10_000)),
        HostileInput.Text("element nested past the limit", "[" + Nested(64) + "]"),
        HostileInput.Text("element nested at the limit", "[" + Nested(63) + "]"),
        new HostileInput("BOM before the array", [0xEF, 0xBB, 0xBF, .. "[{\"a\":1}]"u8]),
        new HostileInput("invalid UTF-8 in an element", [.. "[{\"s\":\""u8, 0xFF, .. "\"},{\"a\":1}]"u8]),
        HostileInput.Text("NDJSON as json", "{\"a\":1}\n{\"a\":2}\n"),
    ];

    /// <summary>Physical lines of a container log (CRI or Docker json-file) as a node writes them.</summary>
    public static IReadOnlyList<HostileInput> ContainerLines { get; } =
    [
        HostileInput.Text("cri full line", "2024-05-01T10:00:00.123456789Z stdout F hello"),
        HostileInput.Text("cri partial line", "2024-05-01T10:00:00.123456789Z stderr P part"),
        HostileInput.Text("cri no space", "hello"),
        HostileInput.Text("cri bad time", "yesterday stdout F x"),
        HostileInput.Text("cri bad stream", "2024-05-01T10:00:00.123456789Z stdin F x"),
        HostileInput.Text("cri bad tag", "2024-05-01T10:00:00.123456789Z stdout X x"),
        HostileInput.Text("cri nothing after the stream", "2024-05-01T10:00:00.123456789Z stdout"),
        HostileInput.Text("cri empty fraction", "2024-05-01T10:00:00.Z stdout F x"),
        HostileInput.Text("cri many tags", "2024-05-01T10:00:00.123456789Z stdout F:x:y:z x"),
        HostileInput.Text("cri empty tag", "2024-05-01T10:00:00.123456789Z stdout  x"),
        HostileInput.Text("cri time with offset", "2024-05-01T10:00:00.1+02:00 stdout F x"),
        HostileInput.Text("cri very long fraction", "2024-05-01T10:00:00." + new string('9', 500) + "Z stdout F x"),
        new HostileInput("cri invalid UTF-8 message", [.. "2024-05-01T10:00:00Z stdout F "u8, 0xFF, 0xFE]),
        HostileInput.Text("docker full line", """{"log":"hello\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}"""),
        HostileInput.Text("docker partial line", """{"log":"part","stream":"stderr","time":"2024-05-01T10:00:00Z"}"""),
        HostileInput.Text("empty line", ""),
        HostileInput.Text("docker unterminated", "{\"log\":\"x\\n\",\"stream\":\"stdout\""),
        HostileInput.Text("docker array", "[1]"),
        HostileInput.Text("docker trailing garbage", """{"log":"x\n","stream":"stdout","time":"t"} trailing"""),
        HostileInput.Text("docker log is a number", """{"log":42,"stream":"stdout","time":"t"}"""),
        HostileInput.Text("docker stdin stream", """{"log":"x\n","stream":"stdin","time":"t"}"""),
        HostileInput.Text("docker no log member", """{"stream":"stdout","time":"t"}"""),
        HostileInput.Text("docker no stream member", """{"log":"x\n","time":"t"}"""),
        HostileInput.Text("docker no time member", """{"log":"x\n","stream":"stdout"}"""),
        HostileInput.Text("docker escaped stream", """{"log":"x\n","stream":"std\u006fut","time":"t"}"""),
        HostileInput.Text("docker lone surrogate in log", """{"log":"\uD800\n","stream":"stdout","time":"t"}"""),
        HostileInput.Text("docker deep nesting in an unknown member", "{\"x\":" + new string('[', 5000) + new string(']', 5000) + ",\"log\":\"a\\n\",\"stream\":\"stdout\",\"time\":\"t\"}"),
        HostileInput.Text("docker duplicate members", """{"log":"a","log":"b\n","stream":"stdout","stream":"stderr","time":"t"}"""),
        new HostileInput("docker invalid UTF-8 in log", [.. "{\"log\":\""u8, 0xC3, 0x28, .. "\\n\",\"stream\":\"stdout\",\"time\":\"t\"}"u8]),
    ];

    /// <summary>traceparent header (or field) values: valid, invalid, and the edges of the W3C grammar.</summary>
    public static IReadOnlyList<string> Traceparents { get; } =
    [
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff",
        "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
        "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-B7AD6B7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0A",
        "0A-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-",
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future-holds",
        "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x",
        "fe-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-",
        "00x0af7651916cd43dd8448eb211c80319cxb7ad6b7169203331x01",
        "00-0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331_01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1",
        "00-0af7651916cd43dd8448eb211c80319-b7ad6b7169203331-01",
        " 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 ",
        "00-0af7651916cd43dd8448eb211c8031\u00e9c-b7ad6b7169203331-01",
        "",
        "-",
        "00",
        "00-" + new string('a', 10_000),
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" + new string('-', 1000),
    ];

    /// <summary>Content-Type header values ("": none), each with whether the http source accepts it (null: either answer is right).</summary>
    public static IReadOnlyList<(string Value, bool? Accepted)> ContentTypes { get; } =
    [
        ("application/x-ndjson", true),
        ("application/ndjson", true),
        ("application/jsonl", true),
        ("application/x-jsonlines", true),
        ("APPLICATION/X-NDJSON", true),
        ("application/x-ndjson; charset=utf-8", true),
        ("application/x-ndjson; charset=UTF8", true),
        ("application/json", true),
        ("application/json; charset=utf-8", true),
        ("application/json;charset=\"utf-8\"", null),
        ("application/json; charset=latin1", false),
        ("application/json; charset=", null),
        ("text/plain", false),
        ("", false),
        ("application/xml", false),
        ("multipart/form-data; boundary=x", false),
        ("application/", false),
        ("garbage", false),
        (";;;", false),
        ("application/json; charset=utf-8; charset=utf-16", null),
    ];

    /// <summary>Content-Encoding header values (null: none), each with whether the http source takes it for gzip, none, or refuses it.</summary>
    public static IReadOnlyList<(string? Value, ContentCoding Coding)> ContentEncodings { get; } =
    [
        (null, ContentCoding.Identity),
        ("identity", ContentCoding.Identity),
        ("IDENTITY", ContentCoding.Identity),
        ("gzip", ContentCoding.Gzip),
        ("x-gzip", ContentCoding.Gzip),
        ("GZIP", ContentCoding.Gzip),
        ("br", ContentCoding.Unsupported),
        ("deflate", ContentCoding.Unsupported),
        ("gzip, gzip", ContentCoding.Unsupported),
        ("gzip, identity", ContentCoding.Unsupported),
        ("*", ContentCoding.Unsupported),
        ("compress", ContentCoding.Unsupported),
    ];

    /// <summary>Every event text, body and container line, for the corpus tests.</summary>
    public static IEnumerable<HostileInput> All => EventTexts.Concat(NdjsonBodies).Concat(JsonBodies).Concat(ContainerLines);

    /// <summary>The corpus entry called <paramref name="name"/> (names are unique across the corpus).</summary>
    public static HostileInput Named(string name) => All.Single(input => input.Name == name);

    /// <summary>An event nested <paramref name="levels"/> deep below its root object: 63 is the deepest Event.Parse takes.</summary>
    public static string Nested(int levels)
    {
        var text = new StringBuilder("{\"a\":");
        text.Append('[', levels);
        text.Append(']', levels);
        return text.Append('}').ToString();
    }
}

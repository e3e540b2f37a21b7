using System.Buffers;
using System.Text;
using System.Text.Json;
using Pipeline.Events;
using Pipeline.Fuzzing;

namespace Pipeline.Tests.Events;

public sealed class EventParsingTests
{
    private static string RoundTrip(string json) => Encoding.UTF8.GetString(Event.Parse(json).ToUtf8Json());

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"a":1,"b":"x","c":[1,2,{"d":null}],"e":true,"f":false,"g":{},"h":[]}""")]
    [InlineData("""{"nested":{"deeper":{"deepest":[[],[[1]],{"k":"v"}]}}}""")]
    public void Compact_input_serializes_back_byte_for_byte(string json)
    {
        Assert.Equal(json, RoundTrip(json));
    }

    [Fact]
    public void Whitespace_between_tokens_is_dropped_on_output()
    {
        Assert.Equal("""{"a":[1,2],"b":{"c":"d e"}}""", RoundTrip(" {\n  \"a\" : [ 1 , 2 ],\r\n\t\"b\": { \"c\" : \"d e\" } }\n"));
    }

    [Theory]
    [InlineData("123456789012345678901234567890")]
    [InlineData("-9223372036854775809")]
    [InlineData("0.1000")]
    [InlineData("1.5E+300")]
    [InlineData("2e-5")]
    [InlineData("-0")]
    [InlineData("-0.0e0")]
    [InlineData("3.141592653589793238462643383279")]
    public void Numbers_keep_their_exact_text(string number)
    {
        var json = $$"""{"n":{{number}},"list":[{{number}}]}""";

        Assert.Equal(json, RoundTrip(json));
    }

    [Fact]
    public void Escaped_strings_are_unescaped_in_memory_and_escaped_minimally_on_output()
    {
        var evt = Event.Parse("""{"s":"q\"b\\s\/n\nr\rt\tb\bf\fu\u0001\u001fend"}""");

        Assert.True(evt.Get(FieldPath.Parse(".s")).TryGetString(out var s));
        Assert.Equal("q\"b\\s/n\nr\rt\tb\bf\fu\u0001\u001fend", s);
        Assert.Equal("""{"s":"q\"b\\s/n\nr\rt\tb\bf\fu\u0001\u001Fend"}""", evt.ToString());
    }

    [Fact]
    public void Unicode_is_kept_as_raw_utf8_including_surrogate_pairs()
    {
        var evt = Event.Parse("""{"escaped":"caf\u00e9 \ud83d\ude00","raw":"café 😀 日本"}""");

        Assert.True(evt.Get(FieldPath.Parse(".escaped")).StringEquals("café 😀"));
        Assert.True(evt.Get(FieldPath.Parse(".raw")).StringEquals("café 😀 日本"));
        Assert.Equal("""{"escaped":"café 😀","raw":"café 😀 日本"}""", evt.ToString());
    }

    [Fact]
    public void Output_parses_back_to_the_same_strings_for_every_control_character()
    {
        var builder = new StringBuilder();
        for (var c = 0; c < 0x20; c++)
        {
            builder.Append((char)c);
        }
        builder.Append("\"\\/\u007f\u2028é😀");
        var text = builder.ToString();
        var evt = Event.CreateEmpty();
        evt.SetString(FieldPath.Parse(".all"), text);

        var reparsed = Event.Parse(evt.ToUtf8Json());

        using var doc = JsonDocument.Parse(evt.ToUtf8Json());
        Assert.Equal(text, doc.RootElement.GetProperty("all").GetString());
        Assert.True(reparsed.Get(FieldPath.Parse(".all")).StringEquals(text));
    }

    [Fact]
    public void Escaped_keys_are_found_by_their_unescaped_text()
    {
        var evt = Event.Parse("""{"a\"b":1,"tab\there":2,"\u00e9":3}""");

        Assert.True(evt.Get(FieldPath.Parse(".\"a\\\"b\"")).TryGetInt64(out var quoted));
        Assert.Equal(1, quoted);
        Assert.True(evt.Get(FieldPath.Parse(".\"tab\there\"")).TryGetInt64(out var tab));
        Assert.Equal(2, tab);
        Assert.True(evt.Get(FieldPath.Parse(".é")).TryGetInt64(out var accented));
        Assert.Equal(3, accented);
        Assert.Equal("""{"a\"b":1,"tab\there":2,"é":3}""", evt.ToString());
    }

    [Fact]
    public void Duplicate_keys_keep_the_last_value_at_the_first_position()
    {
        var evt = Event.Parse("""{"a":1,"b":{"x":1},"a":3,"b":"flat","c":[1],"c":{"n":2}}""");

        Assert.Equal("""{"a":3,"b":"flat","c":{"n":2}}""", evt.ToString());
        Assert.Equal(3, evt.Get(FieldPath.Root).Count);
    }

    [Fact]
    public void Duplicate_keys_in_large_objects_are_resolved_the_same_way()
    {
        var fields = Enumerable.Range(0, 100).Select(i => $"\"k{i}\":{i}").ToList();
        fields.Add("\"k5\":\"five\"");
        fields.Add("\"k99\":{\"x\":true}");
        fields.Add("\"k5\":\"last five\"");

        var evt = Event.Parse("{" + string.Join(",", fields) + "}");

        Assert.Equal(100, evt.Get(FieldPath.Root).Count);
        Assert.True(evt.Get(FieldPath.Parse(".k5")).StringEquals("last five"));
        Assert.True(evt.Get(FieldPath.Parse(".k99.x")).TryGetBoolean(out var x) && x);
        var expected = "{" + string.Join(",", Enumerable.Range(0, 100).Select(i => i switch
        {
            5 => "\"k5\":\"last five\"",
            99 => "\"k99\":{\"x\":true}",
            _ => $"\"k{i}\":{i}",
        })) + "}";
        Assert.Equal(expected, evt.ToString());
    }

    [Fact]
    public void Many_distinct_keys_are_all_kept()
    {
        var json = "{" + string.Join(",", Enumerable.Range(0, 5000).Select(i => $"\"key{i}\":{i}")) + "}";

        var evt = Event.Parse(json);

        Assert.Equal(5000, evt.Get(FieldPath.Root).Count);
        Assert.Equal(json, evt.ToString());
    }

    [Theory]
    [InlineData("array root", "an array")]
    [InlineData("string root", "a string")]
    [InlineData("number root", "a number")]
    [InlineData("true root", "a boolean")]
    [InlineData("null root", "null")]
    public void A_root_that_is_not_an_object_is_rejected_naming_what_was_found(string corpusEntry, string found)
    {
        var ex = Assert.Throws<EventFormatException>(() => Event.Parse(HostileInputs.Named(corpusEntry).Bytes));

        Assert.Equal($"expected a JSON object, found {found}", ex.Message);
    }

    [Theory]
    [InlineData("unterminated object", "(at column 7)")]
    [InlineData("trailing garbage", "(at column 9)")]
    [InlineData("bare literal typo", "(at column 9)")]
    [InlineData("trailing comma", "(at column 8)")]
    [InlineData("empty", "(at column 1)")]
    public void Invalid_json_is_rejected_with_the_position_as_a_one_based_column(string corpusEntry, string position)
    {
        var ex = Assert.Throws<EventFormatException>(() => Event.Parse(HostileInputs.Named(corpusEntry).Bytes));

        Assert.StartsWith("invalid JSON: ", ex.Message);
        Assert.EndsWith(position, ex.Message);
        Assert.DoesNotContain("LineNumber", ex.Message);
    }

    [Fact]
    public void Invalid_json_over_several_lines_names_the_line_and_column_one_based()
    {
        var ex = Assert.Throws<EventFormatException>(() => Event.Parse("{\n  \"a\": 1,\n  \"b\": tru\n}"));

        // Where the reader noticed: after "tru", on the third line.
        Assert.EndsWith("(at line 3, column 11)", ex.Message);
    }

    [Fact]
    public void Invalid_utf8_inside_a_string_is_rejected()
    {
        byte[] json = [.. "{\"a\":\""u8, 0xC3, 0x28, .. "\"}"u8];

        var ex = Assert.Throws<EventFormatException>(() => Event.Parse(json));

        Assert.StartsWith("invalid JSON: ", ex.Message);
        Assert.Equal("invalid JSON: the text is not valid UTF-8 at byte 6", ex.Message);
    }

    [Fact]
    public void A_lone_surrogate_escape_is_rejected()
    {
        var ex = Assert.Throws<EventFormatException>(() => Event.Parse("""{"a":"\ud800"}"""));

        Assert.StartsWith("invalid JSON: ", ex.Message);
    }

    [Fact]
    public void Nesting_is_limited_to_64_levels()
    {
        static string Nested(int depth) => string.Concat(Enumerable.Repeat("{\"a\":", depth - 1)) + "{}" + new string('}', depth - 1);

        var deepest = Event.Parse(Nested(64));
        var ex = Assert.Throws<EventFormatException>(() => Event.Parse(Nested(65)));

        Assert.Equal(Nested(64), deepest.ToString());
        Assert.Contains("depth", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void String_and_utf8_overloads_parse_the_same_event()
    {
        const string json = """{"msg":"héllo","n":[1,2.5]}""";

        Assert.Equal(Event.Parse(Encoding.UTF8.GetBytes(json)).ToString(), Event.Parse(json).ToString());
    }

    [Fact]
    public void Estimated_size_of_a_parsed_event_is_its_compact_length()
    {
        const string json = """{"ts":"2024-05-01T12:00:00Z","level":"info","n":42,"tags":["a","b"],"ok":true}""";

        Assert.Equal(json.Length, Event.Parse(json).EstimatedSize);
    }

    [Fact]
    public void Every_way_of_writing_an_event_gives_the_same_bytes()
    {
        // Text that Utf8JsonWriter would write differently: \u-escaped non-ASCII, HTML characters and surrogate pairs.
        const string json = """{"s":"a\"b\\c\u0001","text":"é 中文 😀 <>&'","n":1.5e-7,"big":123456789012345678901234567890,"arr":[true,null,{}]}""";
        var evt = Event.Parse(json);
        var buffer = new ArrayBufferWriter<byte>();
        evt.WriteTo(buffer);
        var root = evt.Get(FieldPath.Root);
        var rootUtf8 = new ArrayBufferWriter<byte>();
        root.WriteUtf8(rootUtf8);

        Assert.Equal(json, Encoding.UTF8.GetString(buffer.WrittenSpan));
        Assert.Equal(json, Encoding.UTF8.GetString(evt.ToUtf8Json()));
        Assert.Equal(json, evt.ToString());
        Assert.Equal(json, root.ToJson());
        Assert.Equal(json, Encoding.UTF8.GetString(rootUtf8.WrittenSpan));
    }

    [Fact]
    public void WriteTo_a_buffer_writer_appends_compact_json()
    {
        var evt = Event.Parse("""{ "a" : [ 1 ] }""");
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write("prefix:"u8);

        evt.WriteTo(buffer);

        Assert.Equal("""prefix:{"a":[1]}""", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}

using System.Buffers;
using System.Text;
using Pipeline.Events;

namespace Pipeline.Tests.Events;

public sealed class EventValueTests
{
    private static readonly Event Sample = Event.Parse(
        """{"s":"café","e":"","n":42,"neg":-7,"f":1.5,"exp":1e3,"huge":123456789012345678901,"max":9223372036854775807,"t":true,"nil":null,"o":{"a":1,"b":2},"arr":[1,"x",[]]}""");

    private static EventValue Get(string path) => Sample.Get(FieldPath.Parse(path));

    [Theory]
    [InlineData(".s", EventValueKind.String)]
    [InlineData(".n", EventValueKind.Number)]
    [InlineData(".t", EventValueKind.Boolean)]
    [InlineData(".nil", EventValueKind.Null)]
    [InlineData(".o", EventValueKind.Object)]
    [InlineData(".arr", EventValueKind.Array)]
    [InlineData(".arr[1]", EventValueKind.String)]
    [InlineData(".missing", EventValueKind.Missing)]
    [InlineData(".s.deeper", EventValueKind.Missing)]
    [InlineData(".o[0]", EventValueKind.Missing)]
    [InlineData(".arr.key", EventValueKind.Missing)]
    [InlineData(".arr[3]", EventValueKind.Missing)]
    [InlineData(".", EventValueKind.Object)]
    public void Kind_reports_the_json_type_or_missing(string path, EventValueKind kind)
    {
        Assert.Equal(kind, Get(path).Kind);
        Assert.Equal(kind == EventValueKind.Missing, Get(path).IsMissing);
        Assert.Equal(kind != EventValueKind.Missing, Sample.Exists(FieldPath.Parse(path)));
    }

    [Fact]
    public void String_comparisons_are_ordinal_and_false_for_non_strings()
    {
        Assert.True(Get(".s").StringEquals("café"));
        Assert.False(Get(".s").StringEquals("cafe"));
        Assert.False(Get(".s").StringEquals("café!"));
        Assert.False(Get(".s").StringEquals("CAFÉ"));
        Assert.True(Get(".e").StringEquals(""));
        Assert.False(Get(".n").StringEquals("42"));
        Assert.False(Get(".missing").StringEquals(""));
        Assert.True(Get(".s").Utf8Equals("café"u8));
        Assert.False(Get(".s").Utf8Equals("caf"u8));
        Assert.False(Get(".nil").Utf8Equals("null"u8));
    }

    [Fact]
    public void String_comparison_handles_characters_outside_the_bmp_and_long_text()
    {
        var text = string.Concat(Enumerable.Repeat("ab😀é", 100));
        var evt = Event.CreateEmpty();
        evt.SetString(FieldPath.Parse(".x"), text);

        Assert.True(evt.Get(FieldPath.Parse(".x")).StringEquals(text));
        Assert.False(evt.Get(FieldPath.Parse(".x")).StringEquals(text[..^1] + "è"));
        Assert.False(evt.Get(FieldPath.Parse(".x")).StringEquals(text + "a"));
    }

    [Fact]
    public void Utf8_view_points_at_the_unescaped_bytes()
    {
        Assert.True(Get(".s").TryGetUtf8(out var utf8));
        Assert.Equal("café"u8.ToArray(), utf8.ToArray());
        Assert.False(Get(".n").TryGetUtf8(out _));
        Assert.True(Get(".s").TryGetString(out var s));
        Assert.Equal("café", s);
        Assert.False(Get(".o").TryGetString(out var none));
        Assert.Equal("", none);
    }

    [Theory]
    [InlineData(".n", true, 42L)]
    [InlineData(".neg", true, -7L)]
    [InlineData(".exp", true, 1000L)]
    [InlineData(".max", true, long.MaxValue)]
    [InlineData(".f", false, 0L)]
    [InlineData(".huge", false, 0L)]
    [InlineData(".s", false, 0L)]
    [InlineData(".t", false, 0L)]
    [InlineData(".missing", false, 0L)]
    public void Integers_parse_from_the_number_text(string path, bool ok, long expected)
    {
        Assert.Equal(ok, Get(path).TryGetInt64(out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData(".f", true, 1.5)]
    [InlineData(".exp", true, 1000.0)]
    [InlineData(".huge", true, 123456789012345678901.0)]
    [InlineData(".s", false, 0.0)]
    [InlineData(".nil", false, 0.0)]
    public void Doubles_parse_from_the_number_text(string path, bool ok, double expected)
    {
        Assert.Equal(ok, Get(path).TryGetDouble(out var value));
        Assert.Equal(expected, value);
    }

    [Fact]
    public void A_number_beyond_double_range_is_not_a_double()
    {
        var evt = Event.Parse("""{"n":1e400}""");

        Assert.False(evt.Get(FieldPath.Parse(".n")).TryGetDouble(out _));
        Assert.Equal("""{"n":1e400}""", evt.ToString());
    }

    [Fact]
    public void Booleans_read_only_from_booleans()
    {
        Assert.True(Get(".t").TryGetBoolean(out var t));
        Assert.True(t);
        Assert.False(Get(".n").TryGetBoolean(out _));
    }

    [Fact]
    public void Count_is_the_number_of_members_or_elements()
    {
        Assert.Equal(2, Get(".o").Count);
        Assert.Equal(3, Get(".arr").Count);
        Assert.Equal(0, Get(".arr[2]").Count);
        Assert.Equal(0, Get(".s").Count);
        Assert.Equal(0, Get(".missing").Count);
    }

    [Fact]
    public void Text_forms_give_string_content_or_json()
    {
        Assert.Equal("café", Get(".s").ToString());
        Assert.Equal("\"café\"", Get(".s").ToJson());
        Assert.Equal("""{"a":1,"b":2}""", Get(".o").ToString());
        Assert.Equal("""[1,"x",[]]""", Get(".arr").ToJson());
        Assert.Equal("1.5", Get(".f").ToString());
        Assert.Equal("null", Get(".nil").ToJson());
        Assert.Equal("", Get(".missing").ToJson());
        Assert.Equal("", Get(".missing").ToString());
    }

    [Fact]
    public void WriteUtf8_writes_string_content_raw_and_other_values_as_json()
    {
        var buffer = new ArrayBufferWriter<byte>();

        Get(".s").WriteUtf8(buffer);
        Get(".o").WriteUtf8(buffer);
        Get(".missing").WriteUtf8(buffer);
        Get(".t").WriteUtf8(buffer);

        Assert.Equal("""café{"a":1,"b":2}true""", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void Reading_fields_does_not_allocate()
    {
        var path = FieldPath.Parse(".o.b");
        var s = FieldPath.Parse(".s");
        var evt = Sample.Clone();
        var hits = 0;
        for (var i = 0; i < 10; i++)
        {
            hits += Lookups(evt, path, s);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            hits += Lookups(evt, path, s);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(1010 * 4, hits);
        Assert.Equal(0, allocated);
    }

    private static int Lookups(Event evt, FieldPath number, FieldPath text)
    {
        var hits = 0;
        if (evt.Get(number).TryGetInt64(out var n) && n == 2)
        {
            hits++;
        }
        if (evt.Get(number).TryGetDouble(out var d) && d == 2)
        {
            hits++;
        }
        if (evt.Get(text).StringEquals("café"))
        {
            hits++;
        }
        if (evt.Get(text).Utf8Equals("café"u8))
        {
            hits++;
        }
        return hits;
    }
}

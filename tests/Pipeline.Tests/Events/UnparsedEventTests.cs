using System.Buffers;
using System.Text;
using Pipeline.Events;

namespace Pipeline.Tests.Events;

/// <summary>
/// An unparsed event (a source handing text to the stage that parses it) must be, from its first access on, the same
/// event <see cref="Event.Parse(ReadOnlySpan{byte})"/> makes; until then it is its text, and invalid text stays
/// readable for the dead-letter record.
/// </summary>
public sealed class UnparsedEventTests
{
    private static readonly FieldPath Level = FieldPath.Parse(".level");

    [Fact]
    public void It_stays_text_until_first_read_and_then_is_the_parsed_event()
    {
        const string Json = """{"level":"info","n":1}""";
        var evt = Event.Unparsed(Encoding.UTF8.GetBytes(Json), inputLine: 7);

        Assert.False(evt.IsParsed);
        Assert.Equal(Json.Length, evt.EstimatedSize);
        Assert.Equal(7, evt.InputLine);
        Assert.Equal(Json, Encoding.UTF8.GetString(evt.UnparsedText));

        Assert.True(evt.Get(Level).StringEquals("info"));
        Assert.True(evt.IsParsed);
        Assert.True(evt.IsPristine);
        Assert.Equal(Json, Written(evt));
        evt.Release();
    }

    [Fact]
    public void Random_objects_read_and_write_exactly_as_parsed_ones()
    {
        var random = new Random(11);
        for (var i = 0; i < 2000; i++)
        {
            var json = Encoding.UTF8.GetBytes(EventPassthroughTests.RandomObject(random, depth: 0));
            var parsed = Event.Parse(json);
            var unparsed = Event.Unparsed(json);
            // Writing parses it: the same bytes, and the same choice between copying the input and serializing.
            Assert.Equal(Written(parsed), Written(unparsed));
            Assert.Equal(parsed.IsPristine, unparsed.IsPristine);
            Assert.Equal(parsed.EstimatedSize, unparsed.EstimatedSize);
            parsed.Release();
            unparsed.Release();
        }
    }

    [Fact]
    public void A_change_as_the_first_access_parses_first_and_is_written()
    {
        var changes = new (string Name, Action<Event> Change, string Expected)[]
        {
            ("SetString", e => e.SetString(Level, "warn"), """{"level":"warn","n":1}"""),
            ("Remove", e => e.Remove(FieldPath.Parse(".n")), """{"level":"info"}"""),
            ("Rename", e => e.Rename(FieldPath.Parse(".n"), FieldPath.Parse(".m")), """{"level":"info","m":1}"""),
            ("SetJson", e => e.SetJson(FieldPath.Parse(".o"), """{"q":1}"""u8), """{"level":"info","n":1,"o":{"q":1}}"""),
            ("AppendString", e => e.AppendString("s"u8, "t"u8), """{"level":"info","n":1,"s":"t"}"""),
        };
        foreach (var (name, change, expected) in changes)
        {
            var evt = Event.Unparsed("""{"level":"info","n":1}"""u8);

            change(evt);

            Assert.False(evt.IsPristine, name);
            Assert.Equal(expected, Written(evt));
            evt.Release();
        }
    }

    [Fact]
    public void Text_full_of_escapes_parses_in_its_own_arena()
    {
        // Every string needs unescaping: the unescaped copies are appended to the arena the reader is reading.
        var json = "{" + string.Join(",", Enumerable.Range(0, 200).Select(i => $"\"k\\u00{i % 10}{i % 10}{i}\":\"\\\"v\\\\\\n{i}\\u00e9\\ud83c\\udf89\"")) + ",\"plain\":\"\\\"v\\\\\\n\\u00e9\\ud83c\\udf89\"}";
        var parsed = Event.Parse(json);
        var unparsed = Event.Unparsed(Encoding.UTF8.GetBytes(json));

        Assert.Equal(parsed.ToString(), unparsed.ToString());
        Assert.True(unparsed.Get(FieldPath.Parse(".plain")).TryGetString(out var plain));
        Assert.Equal("\"v\\\né🎉", plain);
    }

    [Theory]
    [InlineData("""{"n":""", "invalid JSON")]
    [InlineData("""[1,2]""", "expected a JSON object, found an array")]
    [InlineData("""{"n":1} x""", "invalid JSON")]
    public void Invalid_text_throws_at_first_access_and_stays_text(string json, string expected)
    {
        var evt = Event.Unparsed(Encoding.UTF8.GetBytes(json), inputLine: 3);

        var error = Assert.Throws<EventFormatException>(evt.EnsureParsed);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Throws<EventFormatException>(() => evt.Get(Level));
        Assert.False(evt.IsParsed);
        Assert.Equal(json, Encoding.UTF8.GetString(evt.UnparsedText));
        evt.Release();
        Assert.Throws<ObjectDisposedException>(evt.EnsureParsed);
    }

    [Fact]
    public void A_clone_of_an_unparsed_event_is_unparsed_and_independent()
    {
        var original = Event.Unparsed("""{"level":"info"}"""u8, inputLine: 2);
        var clone = original.Clone();
        Assert.False(clone.IsParsed);
        Assert.Equal(2, clone.InputLine);

        clone.SetString(Level, "error");

        Assert.Equal("""{"level":"error"}""", Written(clone));
        Assert.False(original.IsParsed);
        Assert.Equal("""{"level":"info"}""", Written(original));
    }

    private static string Written(Event evt)
    {
        var buffer = new ArrayBufferWriter<byte>();
        evt.WriteTo(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

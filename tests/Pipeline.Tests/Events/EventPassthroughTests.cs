using System.Buffers;
using System.Text;
using Pipeline.Events;

namespace Pipeline.Tests.Events;

/// <summary>
/// An event unchanged since it was parsed from compact JSON writes its input text instead of serializing its tree;
/// that must be exactly the bytes the writer would produce, and any change must end it.
/// </summary>
public sealed class EventPassthroughTests
{
    private static readonly FieldPath Level = FieldPath.Parse(".level");

    [Theory]
    [InlineData("""{"a":1,"b":"x","c":[1,2,{"d":null}],"e":{},"f":[],"g":true,"h":false,"i":-1.5e3}""", true)]
    [InlineData("""{"msg":"héllo wörld 日本 🎉","n":0}""", true)]
    [InlineData("""{"msg":"spaces inside strings do not count"}""", true)]
    [InlineData("""{ "a": 1 }""", false)]
    [InlineData("""{"a":1} """, true)]
    [InlineData("""  {"a":1}""", true)]
    [InlineData("""{"a":"quote \" inside"}""", false)]
    [InlineData("""{"a":"\u00e9"}""", false)]
    [InlineData("""{"a\n":1}""", false)]
    [InlineData("""{"a":1,"a":2}""", false)]
    [InlineData("""{"a":[1, 2]}""", false)]
    [InlineData("""{"a":{"b":{"c":{"d":[[[]]]}}}}""", true)]
    public void The_input_is_copied_only_when_it_is_what_the_writer_would_write(string json, bool pristine)
    {
        var evt = Event.Parse(Encoding.UTF8.GetBytes(json));

        Assert.Equal(pristine, evt.IsPristine);
        Assert.Equal(evt.ToString(), Written(evt));
        evt.Release();
    }

    [Fact]
    public void Random_objects_write_the_same_bytes_whether_copied_or_serialized()
    {
        var random = new Random(5);
        var pristine = 0;
        for (var i = 0; i < 2000; i++)
        {
            var json = RandomObject(random, depth: 0);
            var evt = Event.Parse(Encoding.UTF8.GetBytes(json));
            pristine += evt.IsPristine ? 1 : 0;
            Assert.Equal(evt.ToString(), Written(evt));
            evt.Release();
        }
        // Both paths ran: most generated objects are compact and plain, some are not.
        Assert.InRange(pristine, 200, 1999);
    }

    [Fact]
    public void Every_change_ends_the_copy_and_the_change_is_written()
    {
        var changes = new (string Name, Action<Event> Change, string Expected)[]
        {
            ("SetString", e => e.SetString(Level, "warn"), """{"level":"warn","n":1,"o":{"p":2}}"""),
            ("SetString utf8", e => e.SetString(Level, "warn"u8), """{"level":"warn","n":1,"o":{"p":2}}"""),
            ("SetNumber long", e => e.SetNumber(FieldPath.Parse(".n"), 7L), """{"level":"info","n":7,"o":{"p":2}}"""),
            ("SetNumber double", e => e.SetNumber(FieldPath.Parse(".n"), 0.5), """{"level":"info","n":0.5,"o":{"p":2}}"""),
            ("SetBoolean", e => e.SetBoolean(FieldPath.Parse(".o.p"), true), """{"level":"info","n":1,"o":{"p":true}}"""),
            ("SetNull", e => e.SetNull(FieldPath.Parse(".n")), """{"level":"info","n":null,"o":{"p":2}}"""),
            ("SetJson", e => e.SetJson(FieldPath.Parse(".o"), """{"q":[1]}"""u8), """{"level":"info","n":1,"o":{"q":[1]}}"""),
            ("SetValue", e => e.SetValue(FieldPath.Parse(".x"), e.Get(FieldPath.Parse(".o"))), """{"level":"info","n":1,"o":{"p":2},"x":{"p":2}}"""),
            ("Remove", e => e.Remove(FieldPath.Parse(".o.p")), """{"level":"info","n":1,"o":{}}"""),
            ("Rename", e => e.Rename(FieldPath.Parse(".n"), FieldPath.Parse(".m")), """{"level":"info","o":{"p":2},"m":1}"""),
            ("Copy", e => e.Copy(FieldPath.Parse(".n"), FieldPath.Parse(".o.n")), """{"level":"info","n":1,"o":{"p":2,"n":1}}"""),
            ("AppendString", e => e.AppendString("s"u8, "t"u8), """{"level":"info","n":1,"o":{"p":2},"s":"t"}"""),
            ("AppendNumber", e => e.AppendNumber("s"u8, 3), """{"level":"info","n":1,"o":{"p":2},"s":3}"""),
            ("AppendBoolean", e => e.AppendBoolean("s"u8, false), """{"level":"info","n":1,"o":{"p":2},"s":false}"""),
            ("TryAppendObject", e => e.TryAppendObject("k"u8, [new("a"u8.ToArray(), "b"u8.ToArray())]), """{"level":"info","n":1,"o":{"p":2},"k":{"a":"b"}}"""),
        };
        foreach (var (name, change, expected) in changes)
        {
            var evt = Event.Parse("""{"level":"info","n":1,"o":{"p":2}}"""u8);
            Assert.True(evt.IsPristine, name);

            change(evt);

            Assert.False(evt.IsPristine, name);
            Assert.Equal(expected, Written(evt));
            evt.Release();
        }
    }

    [Fact]
    public void A_clone_is_copied_too_and_changing_it_leaves_the_original_as_parsed()
    {
        const string Json = """{"level":"info","n":1}""";
        var original = Event.Parse(Encoding.UTF8.GetBytes(Json));
        var clone = original.Clone();
        Assert.True(clone.IsPristine);

        clone.SetString(Level, "error");

        Assert.Equal("""{"level":"error","n":1}""", Written(clone));
        Assert.Equal(Json, Written(original));
        Assert.True(original.IsPristine);
    }

    private static string Written(Event evt)
    {
        var buffer = new ArrayBufferWriter<byte>();
        evt.WriteTo(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    internal static string RandomObject(Random random, int depth)
    {
        var text = new StringBuilder("{");
        var members = random.Next(0, 6);
        var space = random.Next(10) == 0 ? " " : "";
        for (var i = 0; i < members; i++)
        {
            if (i > 0)
            {
                text.Append(',').Append(space);
            }
            // Keys may repeat (k0..k7) and may be escaped.
            text.Append('"').Append(random.Next(12) == 0 ? "k\\u0030" : "k" + random.Next(8)).Append("\":").Append(space);
            text.Append(random.Next(depth < 3 ? 7 : 5) switch
            {
                0 => random.Next(-1000, 1000).ToString(System.Globalization.CultureInfo.InvariantCulture),
                1 => random.Next(15) == 0 ? "\"esc\\\"aped\\n\"" : "\"v" + new string('x', random.Next(0, 20)) + " é\"",
                2 => random.Next(2) == 0 ? "true" : "false",
                3 => "null",
                4 => "1.25e-3",
                5 => RandomObject(random, depth + 1),
                _ => "[" + RandomObject(random, depth + 1) + "," + random.Next(5) + "]",
            });
        }
        return text.Append('}').ToString();
    }
}

using System.Buffers;
using Pipeline.Events;

namespace Pipeline.Tests.Events;

public sealed class EventLifetimeTests
{
    private const string LogLine =
        """{"timestamp":"2024-05-01T12:00:00.123Z","host":"web-01","level":"info","service":"checkout","message":"order placed","user":{"id":4711,"name":"ada"},"duration_ms":12.5,"tags":["a","b"]}""";

    private static FieldPath P(string path) => FieldPath.Parse(path);

    [Fact]
    public void Mutating_a_clone_leaves_the_original_unchanged()
    {
        var original = Event.Parse(LogLine);

        var clone = original.Clone();
        clone.SetString(P(".user.name"), "grace");
        clone.Remove(P(".tags[0]"));
        clone.SetJson(FieldPath.Root, """{"extra":true}"""u8);

        Assert.Equal(LogLine, original.ToString());
        Assert.True(clone.Get(P(".user.name")).StringEquals("grace"));
    }

    [Fact]
    public void Mutating_the_original_leaves_a_clone_unchanged()
    {
        var original = Event.Parse(LogLine);
        var clone = original.Clone();

        original.SetNumber(P(".user.id"), 1);
        original.Rename(P(".message"), P(".msg"));
        original.Release();

        Assert.Equal(LogLine, clone.ToString());
        Assert.Equal(LogLine.Length, clone.EstimatedSize);
    }

    [Fact]
    public void Released_arrays_reused_by_new_events_do_not_corrupt_live_events()
    {
        var live = new List<(Event Event, string Json)>();
        var released = new List<Event>();
        for (var i = 0; i < 300; i++)
        {
            var json = LogLine.Replace("4711", i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
            var evt = Event.Parse(json);
            if (i % 2 == 0)
            {
                live.Add((evt, json));
            }
            else
            {
                released.Add(evt);
            }
        }
        foreach (var evt in released)
        {
            evt.Release();
        }

        for (var i = 0; i < 300; i++)
        {
            var reuser = Event.Parse(LogLine);
            reuser.SetString(P(".message"), new string('z', 150));
            reuser.SetJson(P(".nested"), """{"a":[1,2,3],"b":"overwrite everything"}"""u8);
            reuser.Clone().Release();
            if (i % 3 == 0)
            {
                reuser.Release();
            }
        }

        Assert.All(live, pair => Assert.Equal(pair.Json, pair.Event.ToString()));
    }

    [Fact]
    public void Using_a_released_event_throws_instead_of_reading_pooled_memory()
    {
        var evt = Event.Parse(LogLine);
        var value = evt.Get(P(".host"));

        evt.Release();
        evt.Release();

        Assert.Throws<ObjectDisposedException>(() => evt.Get(P(".host")));
        Assert.Throws<ObjectDisposedException>(() => evt.SetString(P(".host"), "x"));
        Assert.Throws<ObjectDisposedException>(() => evt.SetString(P(".host"), "x"u8));
        Assert.Throws<ObjectDisposedException>(() => evt.SetJson(P(".host"), "1"u8));
        Assert.Throws<ObjectDisposedException>(evt.Clone);
        Assert.Throws<ObjectDisposedException>(evt.ToString);
        Assert.Throws<ObjectDisposedException>(() => evt.EstimatedSize);
        Assert.Throws<ObjectDisposedException>(() => value.StringEquals("web-01"));
        Assert.Throws<ObjectDisposedException>(() => Event.CreateEmpty().SetValue(P(".x"), value));
    }

    [Fact]
    public void Parse_set_and_serialize_allocate_little_more_than_the_event_object()
    {
        var utf8 = System.Text.Encoding.UTF8.GetBytes(LogLine);
        var path = P(".processed");
        var output = new ArrayBufferWriter<byte>(1024);
        for (var i = 0; i < 100; i++)
        {
            Cycle(utf8, path, output);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Cycle(utf8, path, output);
        }
        var perEvent = (GC.GetAllocatedBytesForCurrentThread() - before) / 1000.0;

        Assert.True(perEvent <= 128, $"allocated {perEvent} bytes per event");
    }

    private static void Cycle(byte[] utf8, FieldPath path, ArrayBufferWriter<byte> output)
    {
        var evt = Event.Parse(utf8);
        evt.SetBoolean(path, true);
        output.ResetWrittenCount();
        evt.WriteTo(output);
        evt.Release();
    }
}

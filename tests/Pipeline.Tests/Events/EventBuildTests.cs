using Pipeline.Events;

namespace Pipeline.Tests.Events;

public sealed class EventBuildTests
{
    [Fact]
    public void Appended_members_serialize_in_order_with_escaping_and_an_exact_size()
    {
        var evt = Event.CreateObject(16, 2);
        evt.AppendString("message"u8, "say \"hi\"\n"u8);
        evt.AppendNumber("offset"u8, 1234567890123);
        evt.AppendBoolean("truncated"u8, true);

        var json = evt.ToString();
        Assert.Equal("{\"message\":\"say \\\"hi\\\"\\n\",\"offset\":1234567890123,\"truncated\":true}", json);
        Assert.Equal("say \"hi\"\n", evt.Get(FieldPath.Parse(".message")).ToString());
        evt.SetString(FieldPath.Parse(".message"), "changed");
        Assert.Equal("changed", evt.Get(FieldPath.Parse(".message")).ToString());
    }

    [Fact]
    public void Invalid_utf8_is_replaced_as_SetString_replaces_it()
    {
        var evt = Event.CreateObject(8, 1);
        evt.AppendString("m"u8, [0x61, 0xFF, 0x62]);

        Assert.Equal("a\uFFFDb", evt.Get(FieldPath.Parse(".m")).ToString());
    }

    [Fact]
    public void An_appended_object_holds_its_string_members_and_is_refused_when_the_key_exists()
    {
        var evt = Event.Parse("{\"a\":1}"u8);
        KeyValuePair<byte[], byte[]>[] members = [new("pod"u8.ToArray(), "web-1"u8.ToArray()), new("ns"u8.ToArray(), "default"u8.ToArray())];

        Assert.True(evt.TryAppendObject("kubernetes"u8, members));
        Assert.Equal("{\"a\":1,\"kubernetes\":{\"pod\":\"web-1\",\"ns\":\"default\"}}", evt.ToString());
        Assert.Equal(evt.ToString().Length, evt.EstimatedSize);
        Assert.False(evt.TryAppendObject("kubernetes"u8, members));
        Assert.Equal("default", evt.Get(FieldPath.Parse(".kubernetes.ns")).ToString());
    }
}

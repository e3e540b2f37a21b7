using Pipeline.Events;

namespace Pipeline.Tests.Events;

public sealed class EventModelTests
{
    [Fact]
    public void Nested_paths_read_and_write_in_place()
    {
        var evt = Event.Parse("""{"user":{"id":42},"odd key":"x"}""");

        evt.SetString(FieldPath.Parse(".user.name"), "ada");

        Assert.True(evt.Get(FieldPath.Parse(".user.id")).TryGetInt64(out var id));
        Assert.Equal(42, id);
        Assert.True(evt.Get(FieldPath.Parse("""."odd key" """)).StringEquals("x"));
        Assert.Equal("""{"user":{"id":42,"name":"ada"},"odd key":"x"}""", evt.ToString());
    }
}

namespace Pipeline.Events;

// The event as a value, for code that walks all of it (EventValue.EnumerateMembers) rather than reading fields by path.
public sealed partial class Event
{
    /// <summary>The top-level object; an unparsed event is parsed on the first read through it.</summary>
    public EventValue Root => new(this, RootNode);
}

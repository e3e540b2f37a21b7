namespace Pipeline.Events;

/// <summary>The JSON type of a field, plus <see cref="Missing"/> for a path that leads nowhere.</summary>
public enum EventValueKind
{
    Missing,
    Null,
    Boolean,
    Number,
    String,
    Object,
    Array,
}

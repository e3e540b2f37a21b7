using Pipeline.Events;

namespace Pipeline.Processors;

/// <summary>Names a field's JSON type the way error messages say it ("found a number").</summary>
internal static class ValueKinds
{
    public static string Describe(EventValueKind kind)
        => kind == EventValueKind.Missing ? "nothing (the field is missing)" : Event.Describe(kind);
}

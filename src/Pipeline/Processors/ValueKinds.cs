using Pipeline.Events;

namespace Pipeline.Processors;

/// <summary>Names a field's JSON type the way error messages say it ("found a number").</summary>
internal static class ValueKinds
{
    public static string Describe(EventValueKind kind) => kind switch
    {
        EventValueKind.Missing => "nothing (the field is missing)",
        EventValueKind.Null => "null",
        EventValueKind.Boolean => "a boolean",
        EventValueKind.Number => "a number",
        EventValueKind.String => "a string",
        EventValueKind.Object => "an object",
        EventValueKind.Array => "an array",
        _ => kind.ToString(),
    };
}

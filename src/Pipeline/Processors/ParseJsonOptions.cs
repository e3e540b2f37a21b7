using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors;

/// <summary>Options of <c>parse_json</c>.</summary>
public sealed class ParseJsonOptions
{
    [Option("The string field holding JSON text.", Example = ".message")]
    public FieldPath Field { get; set; } = FieldPath.Parse(".message");

    [Option("Where to put the parsed value; defaults to the field itself. `.` merges a parsed object into the root.", Example = ".")]
    public FieldPath? Target { get; set; }

    [Option("Remove the source field after a successful parse (only when the target is another field).", Example = "true")]
    public bool DropSource { get; set; }
}

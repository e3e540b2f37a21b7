using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors;

/// <summary>Options of <c>sample</c>.</summary>
public sealed class SampleOptions
{
    [Option("Keep 1 event in N (N >= 1; 1 keeps everything).", Required = true, Example = "10")]
    public int Rate { get; set; }

    [Option("Decide by a stable hash of this field, so all events of one key are kept or dropped together (a missing field counts as an empty key).",
        Example = ".trace_id")]
    public FieldPath? KeyField { get; set; }
}

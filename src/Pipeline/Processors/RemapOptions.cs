using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors;

/// <summary>Options of <c>remap</c>. The operations run in the order rename, copy, set, delete.</summary>
public sealed class RemapOptions
{
    [Option("Fields to move: from path -> to path. A missing source is skipped.", Example = "{ .msg: .message }")]
    public Dictionary<string, string> Rename { get; set; } = [];

    [Option("Fields to copy: from path -> to path. A missing source is skipped.", Example = "{ .host: .origin.host }")]
    public Dictionary<string, string> Copy { get; set; } = [];

    [Option("Fields to set: path -> template. Text with {{ .path }} placeholders; a template that is exactly one placeholder copies the value with its JSON type.",
        Example = "{ .summary: \"{{ .method }} {{ .path }} -> {{ .status }}\", .user_id: \"{{ .user.id }}\" }")]
    public Dictionary<string, string> Set { get; set; } = [];

    [Option("Fields to remove. A missing field is skipped.", Example = "[.password, .debug]")]
    public List<FieldPath> Delete { get; set; } = [];
}

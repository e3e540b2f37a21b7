using System.Buffers;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors;

/// <summary>The operations run in the order rename, copy, set, delete.</summary>
[Component("remap", "Renames, copies, sets (with templates) and deletes fields.")]
public sealed class RemapConfig : IProcessorConfig
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

    public IProcessorFactory Build(ComponentContext context)
    {
        var renames = ParsePairs(Rename, "rename");
        var copies = ParsePairs(Copy, "copy");
        var sets = new (FieldPath, FieldTemplate)[Set.Count];
        var i = 0;
        foreach (var (target, template) in Set)
        {
            FieldTemplate parsed;
            try
            {
                parsed = FieldTemplate.Parse(template);
            }
            catch (FormatException ex)
            {
                throw new ComponentBuildException("set", $"set {target}: {ex.Message}", ex);
            }
            sets[i++] = (ParseField(target, "set"), parsed);
        }
        foreach (var path in Delete)
        {
            RejectRoot(path, "delete");
        }
        FieldPath[] deletes = [.. Delete];
        if (renames.Length + copies.Length + sets.Length + deletes.Length == 0)
        {
            throw new ComponentBuildException("set", "expected at least one of rename, copy, set or delete, found none");
        }
        return new ProcessorFactory(_ => new Remap(renames, copies, sets, deletes));
    }

    private static (FieldPath, FieldPath)[] ParsePairs(Dictionary<string, string> map, string option)
    {
        var pairs = new (FieldPath, FieldPath)[map.Count];
        var i = 0;
        foreach (var (from, to) in map)
        {
            pairs[i++] = (ParseField(from, option), ParseField(to, option));
        }
        return pairs;
    }

    private static FieldPath ParseField(string text, string option)
    {
        if (!FieldPath.TryParse(text, out var path, out var error))
        {
            throw new ComponentBuildException(option, error);
        }
        RejectRoot(path, option);
        return path;
    }

    private static void RejectRoot(FieldPath path, string option)
    {
        if (path.IsRoot)
        {
            throw new ComponentBuildException(option, $"expected a field path such as .user.id, found the root '.' ({option} works on fields, not on the whole event)");
        }
    }
}

/// <summary>
/// Renames, copies, sets (from templates) and deletes fields, in that order, each group in the order written. A
/// write through a parent of the wrong type (setting .a.b when .a is a string) fails the event permanently.
/// </summary>
public sealed class Remap(
    (FieldPath From, FieldPath To)[] renames,
    (FieldPath From, FieldPath To)[] copies,
    (FieldPath Target, FieldTemplate Template)[] sets,
    FieldPath[] deletes) : IProcessor
{
    private readonly ArrayBufferWriter<byte> _rendered = new(256);

    public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
    {
        // What is being done, for the error message; plain locals so that the hot path allocates nothing.
        var operation = "";
        FieldPath? from = null;
        FieldPath? to = null;
        try
        {
            operation = "rename";
            foreach (var (source, target) in renames)
            {
                (from, to) = (source, target);
                evt.Rename(source, target);
            }
            operation = "copy";
            foreach (var (source, target) in copies)
            {
                (from, to) = (source, target);
                evt.Copy(source, target);
            }
            operation = "set";
            from = null;
            foreach (var (target, template) in sets)
            {
                to = target;
                Set(evt, target, template);
            }
            operation = "delete";
            foreach (var path in deletes)
            {
                evt.Remove(path);
            }
        }
        catch (EventFormatException ex)
        {
            var what = from is null ? $"{operation} {to}" : $"{operation} {from} -> {to}";
            throw new PermanentFailureException($"remap: {what} failed: {ex.Message}", ex);
        }
        output.Emit(evt);
        return ValueTask.CompletedTask;
    }

    private void Set(Event evt, FieldPath target, FieldTemplate template)
    {
        if (template.SingleField is { } source)
        {
            // Like an assignment in Vector's VRL: a missing source reads as null.
            if (!evt.Copy(source, target))
            {
                evt.SetNull(target);
            }
            return;
        }
        // Rendered fully before writing, so a template may read the field it replaces.
        _rendered.ResetWrittenCount();
        template.Render(evt, _rendered);
        evt.SetString(target, _rendered.WrittenSpan);
    }
}

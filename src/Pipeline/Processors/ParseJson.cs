using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors;

[Component("parse_json", "Parses a string field holding JSON into structure.")]
public sealed class ParseJsonConfig : IProcessorConfig
{
    [Option("The string field holding JSON text.", Example = ".message")]
    public FieldPath Field { get; set; } = FieldPath.Parse(".message");

    [Option("Where to put the parsed value; defaults to the field itself. `.` merges a parsed object into the root.", Example = ".")]
    public FieldPath? Target { get; set; }

    [Option("Remove the source field after a successful parse (only when the target is another field).", Example = "true")]
    public bool DropSource { get; set; }

    public IProcessorFactory Build(ComponentContext context)
    {
        if (Field.IsRoot)
        {
            throw new ComponentBuildException("field", "expected the path of a string field such as .message, found the root '.'");
        }
        var field = Field;
        var target = Target ?? field;
        var dropSource = DropSource && !target.Equals(field);
        return new ProcessorFactory(_ => new ParseJson(field, target, dropSource));
    }
}

/// <summary>
/// Turns a string field holding JSON into structure. A missing or non-string field, or text that is not JSON, fails
/// the event permanently: retrying cannot fix its content.
/// </summary>
public sealed class ParseJson(FieldPath field, FieldPath target, bool dropSource) : IProcessor
{
    // The JSON text is copied out before the event is changed: a span into the event's own storage is only
    // valid until its next write.
    private byte[] _text = new byte[1024];

    public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
    {
        var value = evt.Get(field);
        if (!value.TryGetUtf8(out var utf8))
        {
            throw new PermanentFailureException(value.IsMissing
                ? $"parse_json: field {field} is missing (expected a string holding JSON)"
                : $"parse_json: field {field} must be a string holding JSON, found {ValueKinds.Describe(value.Kind)}");
        }
        if (_text.Length < utf8.Length)
        {
            _text = new byte[Math.Max(utf8.Length, _text.Length * 2)];
        }
        utf8.CopyTo(_text);
        var text = _text.AsSpan(0, utf8.Length);

        // Dropping first keeps a root merge from deleting a parsed field that has the source's name;
        // the source is put back if the parse fails, so a dead-lettered event is the one that arrived.
        if (dropSource)
        {
            evt.Remove(field);
        }
        try
        {
            evt.SetJson(target, text);
        }
        catch (EventFormatException ex)
        {
            if (dropSource)
            {
                evt.SetString(field, text);
            }
            throw new PermanentFailureException($"parse_json: field {field} does not hold {(target.IsRoot ? "a JSON object to merge into the root" : "valid JSON")}: {ex.Message}", ex);
        }
        output.Emit(evt);
        return ValueTask.CompletedTask;
    }
}

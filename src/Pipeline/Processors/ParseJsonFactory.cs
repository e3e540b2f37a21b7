using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors;

/// <summary>
/// <c>parse_json</c>: turns a string field holding JSON into structure. A missing or non-string field, or text that
/// is not JSON, fails the event permanently: retrying cannot fix its content.
/// </summary>
public sealed class ParseJsonFactory : IProcessorFactory
{
    private readonly FieldPath _field;
    private readonly FieldPath _target;
    private readonly bool _dropSource;

    public ParseJsonFactory(ParseJsonOptions options)
    {
        _field = options.Field;
        _target = options.Target ?? options.Field;
        if (_field.IsRoot)
        {
            throw new ComponentBuildException("field", "expected the path of a string field such as .message, found the root '.'");
        }
        _dropSource = options.DropSource && !_target.Equals(_field);
    }

    public IProcessor CreateForIsolate(int isolateIndex) => new Processor(this);

    private sealed class Processor(ParseJsonFactory factory) : IProcessor
    {
        // The JSON text is copied out before the event is changed: a span into the event's own storage is only
        // valid until its next write.
        private byte[] _text = new byte[1024];

        public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
        {
            var value = evt.Get(factory._field);
            if (!value.TryGetUtf8(out var utf8))
            {
                throw new PermanentFailureException(value.IsMissing
                    ? $"parse_json: field {factory._field} is missing (expected a string holding JSON)"
                    : $"parse_json: field {factory._field} must be a string holding JSON, found {ValueKinds.Describe(value.Kind)}");
            }
            if (_text.Length < utf8.Length)
            {
                _text = new byte[Math.Max(utf8.Length, _text.Length * 2)];
            }
            utf8.CopyTo(_text);
            var text = _text.AsSpan(0, utf8.Length);

            // Dropping first keeps a root merge from deleting a parsed field that has the source's name;
            // the source is put back if the parse fails, so a dead-lettered event is the one that arrived.
            if (factory._dropSource)
            {
                evt.Remove(factory._field);
            }
            try
            {
                evt.SetJson(factory._target, text);
            }
            catch (EventFormatException ex)
            {
                if (factory._dropSource)
                {
                    evt.SetString(factory._field, text);
                }
                throw new PermanentFailureException($"parse_json: field {factory._field} does not hold {(factory._target.IsRoot ? "a JSON object to merge into the root" : "valid JSON")}: {ex.Message}", ex);
            }
            output.Emit(evt);
            return ValueTask.CompletedTask;
        }
    }
}

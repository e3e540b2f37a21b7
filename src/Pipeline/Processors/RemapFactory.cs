using System.Buffers;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors;

/// <summary>
/// <c>remap</c>: renames, copies, sets (from templates) and deletes fields, in that order, each group in the order
/// written. A write through a parent of the wrong type (setting .a.b when .a is a string) fails the event permanently.
/// </summary>
public sealed class RemapFactory : IProcessorFactory
{
    private readonly (FieldPath From, FieldPath To)[] _renames;
    private readonly (FieldPath From, FieldPath To)[] _copies;
    private readonly (FieldPath Target, FieldTemplate Template)[] _sets;
    private readonly FieldPath[] _deletes;

    public RemapFactory(RemapOptions options)
    {
        _renames = ParsePairs(options.Rename, "rename");
        _copies = ParsePairs(options.Copy, "copy");
        _sets = new (FieldPath, FieldTemplate)[options.Set.Count];
        var i = 0;
        foreach (var (target, template) in options.Set)
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
            _sets[i++] = (ParseField(target, "set"), parsed);
        }
        foreach (var path in options.Delete)
        {
            RejectRoot(path, "delete");
        }
        _deletes = [.. options.Delete];
        if (_renames.Length + _copies.Length + _sets.Length + _deletes.Length == 0)
        {
            throw new ComponentBuildException("set", "expected at least one of rename, copy, set or delete, found none");
        }
    }

    public IProcessor CreateForIsolate(int isolateIndex) => new Processor(this);

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

    private sealed class Processor(RemapFactory factory) : IProcessor
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
                foreach (var (source, target) in factory._renames)
                {
                    (from, to) = (source, target);
                    evt.Rename(source, target);
                }
                operation = "copy";
                foreach (var (source, target) in factory._copies)
                {
                    (from, to) = (source, target);
                    evt.Copy(source, target);
                }
                operation = "set";
                from = null;
                foreach (var (target, template) in factory._sets)
                {
                    to = target;
                    Set(evt, target, template);
                }
                operation = "delete";
                foreach (var path in factory._deletes)
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
}

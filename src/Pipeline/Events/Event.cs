using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pipeline.Events;

/// <summary>
/// One structured event: a JSON object with nested fields, changed in place while one isolate owns it.
/// Parse once at the source, change in place in the stages, serialize once at the sink.
/// </summary>
/// <remarks>
/// Not thread-safe by design: an event belongs to exactly one isolate at a time, and ownership moves with its envelope.
/// Fan-out hands each consumer its own <see cref="Clone"/>.
/// </remarks>
public sealed class Event
{
    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    private JsonObject _root;

    private Event(JsonObject root) => _root = root;

    /// <summary>Parses a UTF-8 JSON object. Throws <see cref="EventFormatException"/> for anything else.</summary>
    public static Event Parse(ReadOnlySpan<byte> utf8Json)
    {
        JsonNode? node;
        try
        {
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 64 });
            node = JsonNode.Parse(ref reader, NodeOptions);
        }
        catch (JsonException ex)
        {
            throw new EventFormatException($"invalid JSON: {ex.Message}", ex);
        }
        return node is JsonObject obj
            ? new Event(obj)
            : throw new EventFormatException($"expected a JSON object, found {Describe(node)}");
    }

    public static Event Parse(string json) => Parse(Encoding.UTF8.GetBytes(json));

    public static Event CreateEmpty() => new(new JsonObject(NodeOptions));

    /// <summary>Approximate size in bytes of the serialized event, for byte counters.</summary>
    public int EstimatedSize => ToUtf8Json().Length;

    public Event Clone() => new((JsonObject)_root.DeepClone());

    public EventValue Get(FieldPath path) => new(Navigate(path));

    public bool Exists(FieldPath path) => Get(path).Kind != EventValueKind.Missing;

    public void SetString(FieldPath path, string value) => Place(path, JsonValue.Create(value));

    public void SetString(FieldPath path, ReadOnlySpan<byte> utf8) => Place(path, JsonValue.Create(Encoding.UTF8.GetString(utf8)));

    public void SetNumber(FieldPath path, long value) => Place(path, JsonValue.Create(value));

    public void SetNumber(FieldPath path, double value) => Place(path, JsonValue.Create(value));

    public void SetBoolean(FieldPath path, bool value) => Place(path, JsonValue.Create(value));

    public void SetNull(FieldPath path) => Place(path, null);

    /// <summary>Copies a value, which may come from another event, into this one.</summary>
    public void SetValue(FieldPath path, EventValue value)
    {
        if (value.Kind == EventValueKind.Missing)
        {
            Remove(path);
            return;
        }
        Place(path, value.Node?.DeepClone());
    }

    /// <summary>Parses <paramref name="utf8Json"/> (any JSON value) and places it at <paramref name="path"/>.
    /// At the root, the parsed object's fields are merged in.</summary>
    public void SetJson(FieldPath path, ReadOnlySpan<byte> utf8Json)
    {
        JsonNode? node;
        try
        {
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 64 });
            node = JsonNode.Parse(ref reader, NodeOptions);
        }
        catch (JsonException ex)
        {
            throw new EventFormatException($"invalid JSON: {ex.Message}", ex);
        }
        if (path.IsRoot)
        {
            if (node is not JsonObject obj)
            {
                throw new EventFormatException($"only a JSON object can be merged into the root, found {Describe(node)}");
            }
            foreach (var (key, child) in obj.ToArray())
            {
                obj.Remove(key);
                _root[key] = child;
            }
            return;
        }
        Place(path, node);
    }

    public bool Remove(FieldPath path)
    {
        if (path.IsRoot)
        {
            var had = _root.Count > 0;
            _root = new JsonObject(NodeOptions);
            return had;
        }
        var parent = NavigateParent(path, create: false);
        var last = path.Segments[^1];
        switch (parent)
        {
            case JsonObject obj when !last.IsIndex:
                return obj.Remove(last.Key!);
            case JsonArray arr when last.IsIndex && last.Index < arr.Count:
                arr.RemoveAt(last.Index);
                return true;
            default:
                return false;
        }
    }

    public bool Rename(FieldPath from, FieldPath to)
    {
        var node = Navigate(from);
        if (node.Missing)
        {
            return false;
        }
        var detached = node.Node?.DeepClone();
        Remove(from);
        Place(to, detached);
        return true;
    }

    public bool Copy(FieldPath from, FieldPath to)
    {
        var node = Navigate(from);
        if (node.Missing)
        {
            return false;
        }
        Place(to, node.Node?.DeepClone());
        return true;
    }

    public void WriteTo(Utf8JsonWriter writer) => _root.WriteTo(writer);

    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(_root);

    public override string ToString() => _root.ToJsonString();

    /// <summary>Returns pooled memory once the event is delivered; the event must not be used afterwards.</summary>
    public void Release()
    {
    }

    internal static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "an array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "a value",
        },
        _ => "a value",
    };

    private (JsonNode? Node, bool Missing) Navigate(FieldPath path)
    {
        JsonNode? current = _root;
        foreach (var seg in path.Segments)
        {
            switch (current)
            {
                case JsonObject obj when !seg.IsIndex:
                    if (!obj.TryGetPropertyValue(seg.Key!, out current))
                    {
                        return (null, true);
                    }
                    break;
                case JsonArray arr when seg.IsIndex:
                    if (seg.Index >= arr.Count)
                    {
                        return (null, true);
                    }
                    current = arr[seg.Index];
                    break;
                default:
                    return (null, true);
            }
        }
        return (current, false);
    }

    private JsonNode? NavigateParent(FieldPath path, bool create)
    {
        JsonNode current = _root;
        for (var i = 0; i < path.Segments.Count - 1; i++)
        {
            var seg = path.Segments[i];
            JsonNode? next;
            switch (current)
            {
                case JsonObject obj when !seg.IsIndex:
                    if (!obj.TryGetPropertyValue(seg.Key!, out next) || next is null)
                    {
                        if (!create)
                        {
                            return null;
                        }
                        next = path.Segments[i + 1].IsIndex ? new JsonArray() : new JsonObject();
                        obj[seg.Key!] = next;
                    }
                    break;
                case JsonArray arr when seg.IsIndex:
                    if (seg.Index >= arr.Count || arr[seg.Index] is null)
                    {
                        if (!create)
                        {
                            return null;
                        }
                        throw new EventFormatException($"cannot write {path}: index {seg.Index} is past the end of the array");
                    }
                    next = arr[seg.Index]!;
                    break;
                default:
                    if (!create)
                    {
                        return null;
                    }
                    throw new EventFormatException($"cannot write {path}: {Prefix(path, i)} is {Describe(current)}, not {(seg.IsIndex ? "an array" : "an object")}");
            }
            current = next!;
        }
        return current;
    }

    private void Place(FieldPath path, JsonNode? value)
    {
        if (path.IsRoot)
        {
            if (value is JsonObject obj)
            {
                _root = obj;
                return;
            }
            throw new EventFormatException($"only an object can replace the root, found {Describe(value)}");
        }
        var parent = NavigateParent(path, create: true)!;
        var last = path.Segments[^1];
        switch (parent)
        {
            case JsonObject obj when !last.IsIndex:
                obj[last.Key!] = value;
                break;
            case JsonArray arr when last.IsIndex:
                if (last.Index < arr.Count)
                {
                    arr[last.Index] = value;
                }
                else if (last.Index == arr.Count)
                {
                    arr.Add(value);
                }
                else
                {
                    throw new EventFormatException($"cannot write {path}: index {last.Index} is past the end of the array");
                }
                break;
            default:
                throw new EventFormatException($"cannot write {path}: {Prefix(path, path.Segments.Count - 1)} is {Describe(parent)}, not {(last.IsIndex ? "an array" : "an object")}");
        }
    }

    private static string Prefix(FieldPath path, int count)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            var seg = path.Segments[i];
            sb.Append(seg.IsIndex ? $"[{seg.Index}]" : $".{seg.Key}");
        }
        return sb.Length == 0 ? "." : sb.ToString();
    }
}

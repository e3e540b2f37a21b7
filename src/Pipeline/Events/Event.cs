namespace Pipeline.Events;

// Storage and lifetime: the pooled arena and node array, growing them, Clone and Release. The type is split by job
// as System.Text.Json splits JsonDocument: Event.Parse.cs (JSON in), Event.Paths.cs (fields by path),
// Event.Nodes.cs (the node tree and its sizes), Event.Serialize.cs (JSON out).
/// <summary>
/// One structured event: a JSON object with nested fields, changed in place while one isolate owns it.
/// Parse once at the source, change in place in the stages, serialize once at the sink.
/// </summary>
/// <remarks>
/// <para>Not thread-safe by design: an event belongs to exactly one isolate at a time, and ownership moves with its
/// envelope. Fan-out hands each consumer its own <see cref="Clone"/>.</para>
/// <para>Storage: two arrays rented from <see cref="EventMemory"/>'s pools (thread-safe, so an event may be released
/// on another thread than the one that parsed it): a UTF-8 arena holding unescaped keys, unescaped strings and raw
/// number text, and an array of <see cref="EventNode"/> linked by index (first child, next sibling, parent).
/// Mutations append to both arrays and relink; bytes and nodes they orphan stay until <see cref="Release"/>,
/// which is fine for short-lived events. Measured (EventBenchmarks, ~200-byte log event, 2-core machine):
/// parse + set one field + serialize takes ~0.47 µs and allocates 40 bytes (the Event object) against ~1.1 µs and
/// 2.4 KB for JsonNode; parsing alone is ~0.35 µs, of which Utf8JsonReader's own tokenizing is ~0.23 µs.</para>
/// <para>Duplicate keys in the input: the last value wins, at the position of the first occurrence.
/// Input nesting is limited to 64 levels.</para>
/// <para>Event objects are not pooled: one object is ~50 bytes, well inside the per-event budget, and pooling them
/// would let a stale reference silently read or write someone else's live event instead of failing.</para>
/// </remarks>
public sealed partial class Event
{
    private const int RootNode = 0;

    // Room for fields that stages add after parsing, so typical remaps do not grow the arena.
    private const int ArenaSlack = 128;

    private byte[]? _arena;
    private int _arenaLength;

    // While the event is as parsed and its input was compact JSON with no escapes and no duplicate keys, that input
    // sits in the arena at [_pristineStart, _pristineStart + _pristineLength) and is exactly what the writer would
    // produce: a sink copies it instead of serializing the tree. Any change sets the length to 0 (Touch).
    private int _pristineStart;
    private int _pristineLength;
    // Null in two states: released (the arena is null too), or not parsed yet (see Unparsed): the arena then holds
    // the JSON text in its first _arenaLength bytes, and the first access to a field parses it (ParseDeferred).
    private EventNode[]? _nodes;
    private int _nodeCount;

    // For an unparsed event, the source's line number of its text (0 when it has none), for the error if it is invalid.
    private long _inputLine;

    private Event(int arenaCapacity, int nodeCapacity)
    {
        _arena = EventMemory.Bytes.Rent(arenaCapacity);
        _nodes = EventMemory.Nodes.Rent(nodeCapacity);
    }

    // An unparsed event: only the arena, no nodes yet.
    private Event(int arenaCapacity) => _arena = EventMemory.Bytes.Rent(arenaCapacity);

    /// <summary>The nodes; an unparsed event is parsed here, at its first use (throws <see cref="EventFormatException"/> if invalid).</summary>
    internal EventNode[] Nodes => _nodes ?? ParseDeferred();

    internal byte[] Arena => _arena ?? throw Released();

    public static Event CreateEmpty()
    {
        var evt = new Event(ArenaSlack, 8);
        var root = evt.NewNode();
        evt._nodes![root].Kind = (byte)EventValueKind.Object;
        evt._nodes[root].ValueLength = 2;
        return evt;
    }

    /// <summary>Approximate size in bytes of the serialized event, for byte counters. O(1): the parsed length,
    /// adjusted by every change; an unparsed event's text length (without parsing it).</summary>
    public int EstimatedSize => _nodes is { } nodes ? nodes[RootNode].ValueLength : _arena is null ? throw Released() : _arenaLength;

    /// <summary>An independent copy: two array copies, no re-parsing (an unparsed event's copy is unparsed too).</summary>
    public Event Clone()
    {
        if (_nodes is null)
        {
            var text = _arena ?? throw Released();
            var unparsed = new Event(text.Length);
            text.AsSpan(0, _arenaLength).CopyTo(unparsed._arena);
            unparsed._arenaLength = _arenaLength;
            unparsed._inputLine = _inputLine;
            return unparsed;
        }
        var nodes = _nodes;
        var arena = _arena!;
        var clone = new Event(arena.Length, nodes.Length);
        arena.AsSpan(0, _arenaLength).CopyTo(clone._arena);
        nodes.AsSpan(0, _nodeCount).CopyTo(clone._nodes);
        clone._arenaLength = _arenaLength;
        clone._nodeCount = _nodeCount;
        clone._pristineStart = _pristineStart;
        clone._pristineLength = _pristineLength;
        return clone;
    }

    /// <summary>Returns pooled memory once the event is delivered; the event must not be used afterwards
    /// (it then throws <see cref="ObjectDisposedException"/>). Releasing twice is harmless.</summary>
    public void Release()
    {
        var nodes = _nodes;
        var arena = _arena;
        if (arena is null)
        {
            return;
        }
        _nodes = null;
        _arena = null;
        _nodeCount = 0;
        _arenaLength = 0;
        _pristineLength = 0;
        if (nodes is not null)
        {
            EventMemory.Nodes.Return(nodes);
        }
        EventMemory.Bytes.Return(arena);
    }

    /// <summary>Every change calls this first: the event no longer is its input text. An unparsed event is parsed
    /// first, so that parsing cannot mark a changed event as its input text.</summary>
    private void Touch()
    {
        if (_nodes is null)
        {
            ParseDeferred();
        }
        _pristineLength = 0;
    }

    private static ObjectDisposedException Released() =>
        new(nameof(Event), "the event was released (its memory went back to the pool) and can no longer be used");

    private int NewNode()
    {
        if (_nodeCount == _nodes!.Length)
        {
            var grown = EventMemory.Nodes.Rent(_nodes.Length * 2);
            _nodes.AsSpan(0, _nodeCount).CopyTo(grown);
            EventMemory.Nodes.Return(_nodes);
            _nodes = grown;
        }
        var index = _nodeCount++;
        _nodes[index] = new EventNode { KeyStart = -1, Parent = -1, Next = -1, FirstChild = -1, LastChild = -1 };
        return index;
    }

    private void EnsureArena(int extra)
    {
        if (_arenaLength + extra > _arena!.Length)
        {
            var grown = EventMemory.Bytes.Rent(Math.Max(_arenaLength + extra, _arena.Length * 2));
            _arena.AsSpan(0, _arenaLength).CopyTo(grown);
            EventMemory.Bytes.Return(_arena);
            _arena = grown;
        }
    }

    /// <summary>Appends bytes to the arena and returns their offset. Safe when <paramref name="bytes"/> lies in
    /// this arena: the old array goes back to the pool only after the copy.</summary>
    private int AppendBytes(ReadOnlySpan<byte> bytes)
    {
        var start = _arenaLength;
        if (start + bytes.Length > _arena!.Length)
        {
            var grown = EventMemory.Bytes.Rent(Math.Max(start + bytes.Length, _arena.Length * 2));
            _arena.AsSpan(0, start).CopyTo(grown);
            bytes.CopyTo(grown.AsSpan(start));
            EventMemory.Bytes.Return(_arena);
            _arena = grown;
        }
        else
        {
            bytes.CopyTo(_arena.AsSpan(start));
        }
        _arenaLength = start + bytes.Length;
        return start;
    }
}

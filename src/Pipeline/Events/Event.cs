using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace Pipeline.Events;

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
public sealed class Event
{
    internal const int MaxDepth = 64;

    private const int RootNode = 0;

    // Room for fields that stages add after parsing, so typical remaps do not grow the arena.
    private const int ArenaSlack = 128;

    // Up to this many keys an object checks each parsed key against its siblings (cheaply, behind a 32-bit
    // filter); larger objects are de-duplicated once at their end with a hash table, so hostile input with
    // thousands of keys costs linear, not quadratic, time.
    private const int InlineDuplicateCheckLimit = 32;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    private byte[]? _arena;
    private int _arenaLength;
    private EventNode[]? _nodes;
    private int _nodeCount;

    private Event(int arenaCapacity, int nodeCapacity)
    {
        _arena = EventMemory.Bytes.Rent(arenaCapacity);
        _nodes = EventMemory.Nodes.Rent(nodeCapacity);
    }

    internal EventNode[] Nodes => _nodes ?? throw Released();

    internal byte[] Arena => _arena ?? throw Released();

    /// <summary>Parses a UTF-8 JSON object. Throws <see cref="EventFormatException"/> for anything else.</summary>
    public static Event Parse(ReadOnlySpan<byte> utf8Json)
    {
        // Unescaped keys and strings are never longer than their JSON text, so this arena never grows while parsing.
        var evt = new Event(utf8Json.Length + ArenaSlack, (utf8Json.Length / 16) + 8);
        var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
        try
        {
            ValidateUtf8(utf8Json);
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new EventFormatException($"expected a JSON object, found {Describe(reader.TokenType)}");
            }
            evt.ReadValue(ref reader);
            ReadEnd(ref reader);
            return evt;
        }
        catch (JsonException ex)
        {
            evt.Release();
            throw new EventFormatException($"invalid JSON: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            evt.Release();
            throw InvalidString(ex, reader.TokenStartIndex);
        }
        catch
        {
            evt.Release();
            throw;
        }
    }

    public static Event Parse(string json)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(json, buffer);
            return Parse(buffer.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static Event CreateEmpty()
    {
        var evt = new Event(ArenaSlack, 8);
        var root = evt.NewNode();
        evt._nodes![root].Kind = (byte)EventValueKind.Object;
        evt._nodes[root].ValueLength = 2;
        return evt;
    }

    /// <summary>Approximate size in bytes of the serialized event, for byte counters. O(1): the parsed length,
    /// adjusted by every change.</summary>
    public int EstimatedSize => Nodes[RootNode].ValueLength;

    /// <summary>An independent copy: two array copies, no re-parsing.</summary>
    public Event Clone()
    {
        var nodes = Nodes;
        var arena = _arena!;
        var clone = new Event(arena.Length, nodes.Length);
        arena.AsSpan(0, _arenaLength).CopyTo(clone._arena);
        nodes.AsSpan(0, _nodeCount).CopyTo(clone._nodes);
        clone._arenaLength = _arenaLength;
        clone._nodeCount = _nodeCount;
        return clone;
    }

    public EventValue Get(FieldPath path)
    {
        var node = Find(path);
        return node < 0 ? EventValue.Missing : new EventValue(this, node);
    }

    public bool Exists(FieldPath path) => Find(path) >= 0;

    public void SetString(FieldPath path, string value)
    {
        var target = ResolveForWrite(path, EventValueKind.String);
        var start = _arenaLength;
        EnsureArena(Encoding.UTF8.GetByteCount(value));
        var length = Encoding.UTF8.GetBytes(value, _arena.AsSpan(start));
        _arenaLength += length;
        SetScalar(target, EventValueKind.String, start, length, EscapingFlag(_arena.AsSpan(start, length)));
    }

    public void SetString(FieldPath path, ReadOnlySpan<byte> utf8)
    {
        if (!Utf8.IsValid(utf8))
        {
            // Rare: replace invalid sequences with U+FFFD, as decoding to a string would.
            SetString(path, Encoding.UTF8.GetString(utf8));
            return;
        }
        _ = Nodes;
        // Bytes first: utf8 may point into this arena, which creating parents could regrow.
        var start = AppendBytes(utf8);
        var target = ResolveForWrite(path, EventValueKind.String);
        SetScalar(target, EventValueKind.String, start, utf8.Length, EscapingFlag(_arena.AsSpan(start, utf8.Length)));
    }

    public void SetNumber(FieldPath path, long value)
    {
        var target = ResolveForWrite(path, EventValueKind.Number);
        EnsureArena(20);
        value.TryFormat(_arena.AsSpan(_arenaLength), out var length, default, CultureInfo.InvariantCulture);
        SetScalar(target, EventValueKind.Number, _arenaLength, length, 0);
        _arenaLength += length;
    }

    public void SetNumber(FieldPath path, double value)
    {
        if (!double.IsFinite(value))
        {
            throw new EventFormatException($"cannot write {path}: {value.ToString(CultureInfo.InvariantCulture)} has no JSON form (expected a finite number)");
        }
        var target = ResolveForWrite(path, EventValueKind.Number);
        EnsureArena(32);
        // The default format is the shortest text that round-trips, and always valid JSON for finite values.
        value.TryFormat(_arena.AsSpan(_arenaLength), out var length, default, CultureInfo.InvariantCulture);
        SetScalar(target, EventValueKind.Number, _arenaLength, length, 0);
        _arenaLength += length;
    }

    public void SetBoolean(FieldPath path, bool value) =>
        SetScalar(ResolveForWrite(path, EventValueKind.Boolean), EventValueKind.Boolean, value ? 1 : 0, 0, 0);

    public void SetNull(FieldPath path) =>
        SetScalar(ResolveForWrite(path, EventValueKind.Null), EventValueKind.Null, 0, 0, 0);

    /// <summary>Copies a value, which may come from another event, into this one.</summary>
    public void SetValue(FieldPath path, EventValue value)
    {
        _ = Nodes;
        var source = value.Owner;
        if (source is null)
        {
            Remove(path);
            return;
        }
        var sourceNodes = source.Nodes;
        var kind = sourceNodes[value.Index].ValueKind;
        if (!path.IsRoot && kind < EventValueKind.Object)
        {
            var target = ResolveForWrite(path, kind);
            var node = source._nodes![value.Index];
            var start = node.ValueStart;
            if (source != this && kind is EventValueKind.String or EventValueKind.Number)
            {
                start = AppendBytes(source._arena.AsSpan(node.ValueStart, node.ValueLength));
            }
            SetScalar(target, kind, start, node.ValueLength, (byte)(node.Flags & EventNode.ValueNeedsEscaping));
            return;
        }
        if (path.IsRoot && kind != EventValueKind.Object)
        {
            throw new EventFormatException($"only an object can replace the root, found {Describe(kind)}");
        }
        Place(path, CopySubtree(source, value.Index));
    }

    /// <summary>Parses <paramref name="utf8Json"/> (any JSON value) and places it at <paramref name="path"/>.
    /// At the root, the parsed object's fields are merged in.</summary>
    public void SetJson(FieldPath path, ReadOnlySpan<byte> utf8Json)
    {
        _ = Nodes;
        byte[]? copy = null;
        if (_arenaLength + utf8Json.Length > _arena!.Length && utf8Json.Overlaps(_arena))
        {
            // The text lives in this event's arena (e.g. a field being parsed in place), and growing the arena
            // would return that memory to the pool while the reader still reads it.
            copy = ArrayPool<byte>.Shared.Rent(utf8Json.Length);
            utf8Json.CopyTo(copy);
            utf8Json = copy.AsSpan(0, utf8Json.Length);
        }
        int parsed;
        var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
        try
        {
            ValidateUtf8(utf8Json);
            EnsureArena(utf8Json.Length);
            reader.Read();
            parsed = ReadValue(ref reader);
            ReadEnd(ref reader);
        }
        catch (JsonException ex)
        {
            throw new EventFormatException($"invalid JSON: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex) when (ex is not ObjectDisposedException)
        {
            throw InvalidString(ex, reader.TokenStartIndex);
        }
        finally
        {
            if (copy is not null)
            {
                ArrayPool<byte>.Shared.Return(copy);
            }
        }
        if (!path.IsRoot)
        {
            Place(path, parsed);
            return;
        }
        if (_nodes![parsed].ValueKind != EventValueKind.Object)
        {
            throw new EventFormatException($"only a JSON object can be merged into the root, found {Describe(_nodes[parsed].ValueKind)}");
        }
        MergeIntoRoot(parsed);
    }

    public bool Remove(FieldPath path)
    {
        var nodes = Nodes;
        if (path.IsRoot)
        {
            ref var root = ref nodes[RootNode];
            var had = root.Count > 0;
            root.FirstChild = -1;
            root.LastChild = -1;
            root.Count = 0;
            root.ValueLength = 2;
            return had;
        }
        var node = Find(path);
        if (node < 0)
        {
            return false;
        }
        Unlink(node);
        return true;
    }

    public bool Rename(FieldPath from, FieldPath to)
    {
        var node = Find(from);
        if (node < 0)
        {
            return false;
        }
        int detached;
        if (node == RootNode)
        {
            detached = CopySubtree(this, RootNode);
            Remove(from);
        }
        else
        {
            // Moving the subtree is a relink: nothing is copied.
            Unlink(node);
            detached = node;
        }
        Place(to, detached);
        return true;
    }

    public bool Copy(FieldPath from, FieldPath to)
    {
        var node = Find(from);
        if (node < 0)
        {
            return false;
        }
        Place(to, CopySubtree(this, node));
        return true;
    }

    public void WriteTo(Utf8JsonWriter writer) => WriteValue(writer, RootNode);

    /// <summary>Writes the event as compact JSON, unescaped text kept as UTF-8 (only quote, backslash and control
    /// characters are escaped).</summary>
    public void WriteTo(IBufferWriter<byte> destination) => EventJsonWriter.Write(Nodes, _arena!, RootNode, destination);

    public byte[] ToUtf8Json() => ToUtf8Json(RootNode);

    public override string ToString() => ToJsonString(RootNode);

    /// <summary>Returns pooled memory once the event is delivered; the event must not be used afterwards
    /// (it then throws <see cref="ObjectDisposedException"/>). Releasing twice is harmless.</summary>
    public void Release()
    {
        var nodes = _nodes;
        var arena = _arena;
        if (nodes is null || arena is null)
        {
            return;
        }
        _nodes = null;
        _arena = null;
        _nodeCount = 0;
        _arenaLength = 0;
        EventMemory.Nodes.Return(nodes);
        EventMemory.Bytes.Return(arena);
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

    internal static string Describe(EventValueKind kind) => kind switch
    {
        EventValueKind.Null => "null",
        EventValueKind.Boolean => "a boolean",
        EventValueKind.Number => "a number",
        EventValueKind.String => "a string",
        EventValueKind.Object => "an object",
        EventValueKind.Array => "an array",
        _ => "missing",
    };

    internal byte[] ToUtf8Json(int node)
    {
        var scratch = RentScratch();
        EventJsonWriter.Write(Nodes, _arena!, node, scratch);
        var bytes = scratch.WrittenSpan.ToArray();
        ReturnScratch(scratch);
        return bytes;
    }

    internal string ToJsonString(int node)
    {
        var scratch = RentScratch();
        EventJsonWriter.Write(Nodes, _arena!, node, scratch);
        var text = Encoding.UTF8.GetString(scratch.WrittenSpan);
        ReturnScratch(scratch);
        return text;
    }

    internal void WriteValue(Utf8JsonWriter writer, int top)
    {
        var nodes = Nodes;
        var arena = _arena!;
        var n = top;
        while (true)
        {
            ref readonly var node = ref nodes[n];
            if (n != top && node.KeyStart >= 0)
            {
                writer.WritePropertyName(arena.AsSpan(node.KeyStart, node.KeyLength));
            }
            switch (node.ValueKind)
            {
                case EventValueKind.Object:
                case EventValueKind.Array:
                    if (node.ValueKind == EventValueKind.Object)
                    {
                        writer.WriteStartObject();
                    }
                    else
                    {
                        writer.WriteStartArray();
                    }
                    if (node.FirstChild >= 0)
                    {
                        n = node.FirstChild;
                        continue;
                    }
                    WriteEnd(writer, node.ValueKind);
                    break;
                case EventValueKind.String:
                    writer.WriteStringValue(arena.AsSpan(node.ValueStart, node.ValueLength));
                    break;
                case EventValueKind.Number:
                    // Raw text keeps big integers and exact decimals as they arrived.
                    writer.WriteRawValue(arena.AsSpan(node.ValueStart, node.ValueLength), skipInputValidation: true);
                    break;
                case EventValueKind.Boolean:
                    writer.WriteBooleanValue(node.ValueStart != 0);
                    break;
                default:
                    writer.WriteNullValue();
                    break;
            }
            while (true)
            {
                if (n == top)
                {
                    return;
                }
                ref readonly var done = ref nodes[n];
                if (done.Next >= 0)
                {
                    n = done.Next;
                    break;
                }
                n = done.Parent;
                WriteEnd(writer, nodes[n].ValueKind);
            }
        }
    }

    private static void WriteEnd(Utf8JsonWriter writer, EventValueKind kind)
    {
        if (kind == EventValueKind.Object)
        {
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteEndArray();
        }
    }

    private static ArrayBufferWriter<byte> RentScratch()
    {
        var scratch = t_scratch ?? new ArrayBufferWriter<byte>(1024);
        t_scratch = null;
        scratch.ResetWrittenCount();
        return scratch;
    }

    // Taken out while in use so that a nested call cannot share it; not kept once a huge event has grown it.
    private static void ReturnScratch(ArrayBufferWriter<byte> scratch)
    {
        if (scratch.Capacity <= 1 << 20)
        {
            t_scratch = scratch;
        }
    }

    private static ObjectDisposedException Released() =>
        new(nameof(Event), "the event was released (its memory went back to the pool) and can no longer be used");

    private static EventFormatException InvalidString(InvalidOperationException ex, long position) =>
        new($"invalid JSON: {ex.Message} (string starting at byte {position})", ex);

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => "nothing",
    };

    private static void ReadEnd(ref Utf8JsonReader reader)
    {
        // With a final block the reader itself rejects anything but whitespace after the value.
        if (reader.Read())
        {
            throw new EventFormatException($"invalid JSON: unexpected {reader.TokenType} after the value at byte {reader.TokenStartIndex}");
        }
    }

    private static byte EscapingFlag(ReadOnlySpan<byte> utf8) =>
        EventJsonWriter.NeedsEscaping(utf8) ? EventNode.ValueNeedsEscaping : (byte)0;

    private static int ValueSize(in EventNode node) => node.ValueKind switch
    {
        EventValueKind.String => node.ValueLength + 2,
        EventValueKind.Number => node.ValueLength,
        EventValueKind.Boolean => node.ValueStart != 0 ? 4 : 5,
        EventValueKind.Null => 4,
        _ => node.ValueLength,
    };

    // Key with quotes and colon, and the value; the comma before it is counted by the caller (see SeparatorSize).
    private static int EntrySize(in EventNode node) =>
        ValueSize(node) + (node.KeyStart >= 0 ? node.KeyLength + 3 : 0);

    // Sizes are exact for compact, escape-free content: a member costs a comma unless it is the only one.
    private int SeparatorSize(int container) => _nodes![container].Count > 1 ? 1 : 0;

    /// <summary>Reads the value at the reader's current token into a new node, which is returned unlinked.
    /// The arena must already have room for the whole input.</summary>
    private int ReadValue(ref Utf8JsonReader reader)
    {
        var top = NewNode();
        if (!StartValue(ref reader, top))
        {
            return top;
        }
        var current = top;
        int keyStart = -1, keyLength = 0;
        byte keyFlags = 0;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    keyStart = _arenaLength;
                    keyLength = CopyText(ref reader);
                    keyFlags = reader.ValueIsEscaped ? EventNode.KeyNeedsEscaping : (byte)0;
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    ref var ended = ref _nodes![current];
                    ended.ValueLength = (int)reader.BytesConsumed - ended.ValueStart;
                    ended.ValueStart = 0;
                    if ((ended.Flags & EventNode.NeedsBulkDeduplication) != 0)
                    {
                        ended.Flags &= unchecked((byte)~EventNode.NeedsBulkDeduplication);
                        RemoveDuplicateKeys(current);
                    }
                    if (current == top)
                    {
                        return top;
                    }
                    current = _nodes[current].Parent;
                    break;
                default:
                    var child = AddParsedChild(current, keyStart, keyLength, keyFlags);
                    if (StartValue(ref reader, child))
                    {
                        current = child;
                    }
                    break;
            }
        }
        throw new EventFormatException("invalid JSON: the input ended inside a value");
    }

    /// <summary>Appends the current string or key, unescaped, to the arena and returns its length.</summary>
    private int CopyText(ref Utf8JsonReader reader)
    {
        var destination = _arena.AsSpan(_arenaLength);
        int length;
        if (reader.ValueIsEscaped)
        {
            // Unescapes, and rejects escapes that decode to invalid UTF-16 (lone surrogates).
            length = reader.CopyString(destination);
        }
        else
        {
            // The raw bytes were validated as UTF-8 up front (the reader itself does not validate them), which is
            // cheaper than CopyString validating each string separately.
            var raw = reader.ValueSpan;
            raw.CopyTo(destination);
            length = raw.Length;
        }
        _arenaLength += length;
        return length;
    }

    private static void ValidateUtf8(ReadOnlySpan<byte> utf8Json)
    {
        if (Utf8.IsValid(utf8Json))
        {
            return;
        }
        var position = 0;
        while (Rune.DecodeFromUtf8(utf8Json[position..], out _, out var consumed) == OperationStatus.Done)
        {
            position += consumed;
        }
        throw new EventFormatException($"invalid JSON: the text is not valid UTF-8 at byte {position}");
    }

    /// <summary>Stores the scalar at the reader's token in <paramref name="node"/>, a fresh or cleared node, or
    /// opens a container there (returns true).</summary>
    private bool StartValue(ref Utf8JsonReader reader, int node)
    {
        ref var n = ref _nodes![node];
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
            case JsonTokenType.StartArray:
                n.Kind = (byte)(reader.TokenType == JsonTokenType.StartObject ? EventValueKind.Object : EventValueKind.Array);
                // While parsing, ValueStart holds the start offset (for the size at the end) and ValueLength the
                // duplicate-key filter.
                n.ValueStart = (int)reader.TokenStartIndex;
                return true;
            case JsonTokenType.String:
                n.Kind = (byte)EventValueKind.String;
                n.ValueStart = _arenaLength;
                n.ValueLength = CopyText(ref reader);
                if (reader.ValueIsEscaped)
                {
                    n.Flags |= EventNode.ValueNeedsEscaping;
                }
                return false;
            case JsonTokenType.Number:
                n.Kind = (byte)EventValueKind.Number;
                n.ValueStart = _arenaLength;
                n.ValueLength = reader.ValueSpan.Length;
                reader.ValueSpan.CopyTo(_arena.AsSpan(_arenaLength));
                _arenaLength += n.ValueLength;
                return false;
            case JsonTokenType.True:
            case JsonTokenType.False:
                n.Kind = (byte)EventValueKind.Boolean;
                n.ValueStart = reader.TokenType == JsonTokenType.True ? 1 : 0;
                return false;
            default:
                n.Kind = (byte)EventValueKind.Null;
                return false;
        }
    }

    /// <summary>Adds a node for the next parsed value of <paramref name="parent"/>, or returns the earlier node
    /// with the same key so that the last duplicate wins.</summary>
    private int AddParsedChild(int parent, int keyStart, int keyLength, byte keyFlags)
    {
        ref var p = ref _nodes![parent];
        if (p.ValueKind != EventValueKind.Object)
        {
            keyStart = -1;
            keyLength = 0;
            keyFlags = 0;
        }
        else if ((p.Flags & EventNode.NeedsBulkDeduplication) == 0)
        {
            if (p.Count >= InlineDuplicateCheckLimit)
            {
                p.Flags |= EventNode.NeedsBulkDeduplication;
            }
            else
            {
                var key = _arena.AsSpan(keyStart, keyLength);
                var bit = 1 << (int)(((uint)keyLength * 7 + (keyLength == 0 ? 0u : key[0] * 3u + key[^1])) & 31);
                if ((p.ValueLength & bit) != 0)
                {
                    var earlier = FindChild(parent, key);
                    if (earlier >= 0)
                    {
                        ref var reused = ref _nodes[earlier];
                        reused.Flags &= EventNode.KeyNeedsEscaping;
                        reused.ValueStart = 0;
                        reused.ValueLength = 0;
                        reused.FirstChild = -1;
                        reused.LastChild = -1;
                        reused.Count = 0;
                        return earlier;
                    }
                }
                p.ValueLength |= bit;
            }
        }
        var child = NewNode();
        ref var c = ref _nodes[child];
        c.KeyStart = keyStart;
        c.KeyLength = keyLength;
        c.Flags = keyFlags;
        Link(parent, child);
        return child;
    }

    /// <summary>Keeps the first node of each key, holding the value of the last one.</summary>
    private void RemoveDuplicateKeys(int obj)
    {
        var nodes = _nodes!;
        var size = (int)BitOperations.RoundUpToPowerOf2((uint)nodes[obj].Count * 2);
        var table = ArrayPool<int>.Shared.Rent(size);
        try
        {
            table.AsSpan(0, size).Fill(-1);
            var mask = size - 1;
            var previous = -1;
            var c = nodes[obj].FirstChild;
            while (c >= 0)
            {
                var next = nodes[c].Next;
                var key = KeySpan(c);
                var hash = new HashCode();
                hash.AddBytes(key);
                var slot = hash.ToHashCode() & mask;
                var earlier = -1;
                while (table[slot] >= 0)
                {
                    if (KeySpan(table[slot]).SequenceEqual(key))
                    {
                        earlier = table[slot];
                        break;
                    }
                    slot = (slot + 1) & mask;
                }
                if (earlier < 0)
                {
                    table[slot] = c;
                    previous = c;
                }
                else
                {
                    TakeValue(c, earlier);
                    nodes[previous].Next = next;
                    nodes[obj].Count--;
                    if (nodes[obj].LastChild == c)
                    {
                        nodes[obj].LastChild = previous;
                    }
                }
                c = next;
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(table);
        }
    }

    private ReadOnlySpan<byte> KeySpan(int node) => _arena.AsSpan(_nodes![node].KeyStart, _nodes[node].KeyLength);

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

    private void Link(int parent, int child)
    {
        var nodes = _nodes!;
        ref var p = ref nodes[parent];
        if (p.LastChild >= 0)
        {
            nodes[p.LastChild].Next = child;
        }
        else
        {
            p.FirstChild = child;
        }
        p.LastChild = child;
        p.Count++;
        nodes[child].Parent = parent;
        nodes[child].Next = -1;
    }

    private void Unlink(int node)
    {
        var nodes = _nodes!;
        var parent = nodes[node].Parent;
        ref var p = ref nodes[parent];
        var previous = -1;
        for (var c = p.FirstChild; c != node; c = nodes[c].Next)
        {
            previous = c;
        }
        var next = nodes[node].Next;
        if (previous < 0)
        {
            p.FirstChild = next;
        }
        else
        {
            nodes[previous].Next = next;
        }
        if (p.LastChild == node)
        {
            p.LastChild = previous;
        }
        p.Count--;
        AddSize(parent, -(EntrySize(nodes[node]) + (p.Count > 0 ? 1 : 0)));
        nodes[node].Parent = -1;
        nodes[node].Next = -1;
    }

    /// <summary>Adds <paramref name="delta"/> to the size of <paramref name="node"/> and all its ancestors.</summary>
    private void AddSize(int node, int delta)
    {
        var nodes = _nodes!;
        for (var p = node; p >= 0; p = nodes[p].Parent)
        {
            nodes[p].ValueLength += delta;
        }
    }

    private int FindChild(int parent, ReadOnlySpan<byte> key)
    {
        var nodes = _nodes!;
        var arena = _arena!;
        for (var c = nodes[parent].FirstChild; c >= 0; c = nodes[c].Next)
        {
            ref readonly var n = ref nodes[c];
            if (n.KeyLength == key.Length && arena.AsSpan(n.KeyStart, n.KeyLength).SequenceEqual(key))
            {
                return c;
            }
        }
        return -1;
    }

    private int NthChild(int parent, int index)
    {
        var nodes = _nodes!;
        var c = nodes[parent].FirstChild;
        for (var i = 0; i < index; i++)
        {
            c = nodes[c].Next;
        }
        return c;
    }

    /// <summary>The node at <paramref name="path"/>, or -1.</summary>
    private int Find(FieldPath path)
    {
        var nodes = Nodes;
        var current = RootNode;
        foreach (var segment in path.SegmentArray)
        {
            ref readonly var node = ref nodes[current];
            if (segment.IsIndex)
            {
                if (node.ValueKind != EventValueKind.Array || segment.Index >= node.Count)
                {
                    return -1;
                }
                current = NthChild(current, segment.Index);
            }
            else
            {
                if (node.ValueKind != EventValueKind.Object)
                {
                    return -1;
                }
                current = FindChild(current, segment.KeyUtf8);
                if (current < 0)
                {
                    return -1;
                }
            }
        }
        return current;
    }

    /// <summary>The node to overwrite for <paramref name="path"/>, creating missing (or null) parents as objects or
    /// arrays and a null leaf. Index == array length appends.</summary>
    private int ResolveForWrite(FieldPath path, EventValueKind writing)
    {
        _ = Nodes;
        if (path.IsRoot)
        {
            throw new EventFormatException($"only an object can replace the root, found {Describe(writing)}");
        }
        var segments = path.SegmentArray;
        var current = RootNode;
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var last = i == segments.Length - 1;
            var kind = _nodes![current].ValueKind;
            int child;
            if (!segment.IsIndex)
            {
                if (kind != EventValueKind.Object)
                {
                    throw WrongParent(path, i, kind, segment);
                }
                child = FindChild(current, segment.KeyUtf8);
                if (child < 0)
                {
                    child = AddMember(current, segment.KeyUtf8);
                }
            }
            else
            {
                if (kind != EventValueKind.Array)
                {
                    throw WrongParent(path, i, kind, segment);
                }
                var count = _nodes[current].Count;
                if (segment.Index < count)
                {
                    child = NthChild(current, segment.Index);
                }
                else if (segment.Index == count && last)
                {
                    child = NewNode();
                    Link(current, child);
                    AddSize(current, EntrySize(_nodes[child]) + SeparatorSize(current));
                }
                else
                {
                    throw new EventFormatException($"cannot write {path}: index {segment.Index} is past the end of the array (length {count})");
                }
            }
            if (!last && _nodes[child].ValueKind == EventValueKind.Null)
            {
                var container = segments[i + 1].IsIndex ? EventValueKind.Array : EventValueKind.Object;
                SetScalar(child, container, 0, 2, 0);
            }
            current = child;
        }
        return current;
    }

    private static EventFormatException WrongParent(FieldPath path, int depth, EventValueKind found, PathSegment segment) =>
        new($"cannot write {path}: {Prefix(path, depth)} is {Describe(found)}, not {(segment.IsIndex ? "an array" : "an object")}");

    private int AddMember(int parent, ReadOnlySpan<byte> key)
    {
        var keyStart = AppendBytes(key);
        var child = NewNode();
        ref var c = ref _nodes![child];
        c.KeyStart = keyStart;
        c.KeyLength = key.Length;
        c.Kind = (byte)EventValueKind.Null;
        c.Flags = EventJsonWriter.NeedsEscaping(key) ? EventNode.KeyNeedsEscaping : (byte)0;
        Link(parent, child);
        AddSize(parent, EntrySize(_nodes[child]) + SeparatorSize(parent));
        return child;
    }

    /// <summary>Overwrites a node's value (keeping its key and place); for containers this makes an empty one
    /// whose size is <paramref name="valueLength"/>.</summary>
    private void SetScalar(int target, EventValueKind kind, int valueStart, int valueLength, byte valueFlags)
    {
        ref var n = ref _nodes![target];
        var oldSize = ValueSize(n);
        n.Kind = (byte)kind;
        n.Flags = (byte)((n.Flags & EventNode.KeyNeedsEscaping) | valueFlags);
        n.ValueStart = valueStart;
        n.ValueLength = valueLength;
        n.FirstChild = -1;
        n.LastChild = -1;
        n.Count = 0;
        AddSize(n.Parent, ValueSize(n) - oldSize);
    }

    /// <summary>Moves the value of unlinked node <paramref name="source"/> into <paramref name="target"/>,
    /// children included; the source node becomes garbage.</summary>
    private void TakeValue(int source, int target)
    {
        var nodes = _nodes!;
        ref readonly var s = ref nodes[source];
        ref var t = ref nodes[target];
        t.Kind = s.Kind;
        t.Flags = (byte)((t.Flags & EventNode.KeyNeedsEscaping) | (s.Flags & EventNode.ValueNeedsEscaping));
        t.ValueStart = s.ValueStart;
        t.ValueLength = s.ValueLength;
        t.FirstChild = s.FirstChild;
        t.LastChild = s.LastChild;
        t.Count = s.Count;
        for (var c = t.FirstChild; c >= 0; c = nodes[c].Next)
        {
            nodes[c].Parent = target;
        }
    }

    /// <summary>Puts unlinked node <paramref name="detached"/> at <paramref name="path"/>.</summary>
    private void Place(FieldPath path, int detached)
    {
        if (path.IsRoot)
        {
            var kind = _nodes![detached].ValueKind;
            if (kind != EventValueKind.Object)
            {
                throw new EventFormatException($"only an object can replace the root, found {Describe(kind)}");
            }
            TakeValue(detached, RootNode);
            return;
        }
        var target = ResolveForWrite(path, _nodes![detached].ValueKind);
        var oldSize = ValueSize(_nodes[target]);
        TakeValue(detached, target);
        AddSize(_nodes[target].Parent, ValueSize(_nodes[target]) - oldSize);
    }

    private void MergeIntoRoot(int obj)
    {
        var c = _nodes![obj].FirstChild;
        while (c >= 0)
        {
            var next = _nodes[c].Next;
            var existing = FindChild(RootNode, KeySpan(c));
            if (existing >= 0)
            {
                var oldSize = ValueSize(_nodes[existing]);
                TakeValue(c, existing);
                AddSize(RootNode, ValueSize(_nodes[existing]) - oldSize);
            }
            else
            {
                Link(RootNode, c);
                AddSize(RootNode, EntrySize(_nodes[c]) + SeparatorSize(RootNode));
            }
            c = next;
        }
    }

    /// <summary>Deep-copies a subtree of <paramref name="source"/> (this event or another) into a new unlinked node.
    /// Within one event the arena bytes are shared, since they are never changed in place.</summary>
    private int CopySubtree(Event source, int sourceTop)
    {
        var top = CopyNode(source, sourceTop);
        var sourceParent = sourceTop;
        var targetParent = top;
        var s = source._nodes![sourceTop].IsContainer ? source._nodes[sourceTop].FirstChild : -1;
        while (true)
        {
            if (s >= 0)
            {
                var copy = CopyNode(source, s);
                Link(targetParent, copy);
                // Index through the field each time: when source is this event, CopyNode may have regrown it.
                var sourceNode = source._nodes[s];
                if (sourceNode.IsContainer && sourceNode.FirstChild >= 0)
                {
                    sourceParent = s;
                    targetParent = copy;
                    s = sourceNode.FirstChild;
                }
                else
                {
                    s = sourceNode.Next;
                }
                continue;
            }
            if (sourceParent == sourceTop)
            {
                return top;
            }
            s = source._nodes[sourceParent].Next;
            sourceParent = source._nodes[sourceParent].Parent;
            targetParent = _nodes![targetParent].Parent;
        }
    }

    /// <summary>Copies one node's key and value (not its children) into a new unlinked node.</summary>
    private int CopyNode(Event source, int sourceNode)
    {
        var copy = NewNode();
        var s = source._nodes![sourceNode];
        if (source != this)
        {
            if (s.KeyStart >= 0)
            {
                s.KeyStart = AppendBytes(source._arena.AsSpan(s.KeyStart, s.KeyLength));
            }
            if (s.ValueKind is EventValueKind.String or EventValueKind.Number)
            {
                s.ValueStart = AppendBytes(source._arena.AsSpan(s.ValueStart, s.ValueLength));
            }
        }
        s.Parent = -1;
        s.Next = -1;
        s.FirstChild = -1;
        s.LastChild = -1;
        s.Count = 0;
        _nodes![copy] = s;
        return copy;
    }

    private static string Prefix(FieldPath path, int count)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            var seg = path.SegmentArray[i];
            sb.Append(seg.IsIndex ? $"[{seg.Index}]" : $".{seg.Key}");
        }
        return sb.Length == 0 ? "." : sb.ToString();
    }
}

using System.Buffers;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Pipeline.Events;

// Parsing: JSON text into nodes, with duplicate keys resolved (the last value wins, at the first one's position),
// UTF-8 validated up front and every error reported as an EventFormatException.
public sealed partial class Event
{
    internal const int MaxDepth = 64;

    // Up to this many keys an object checks each parsed key against its siblings (cheaply, behind a 32-bit
    // filter); larger objects are de-duplicated once at their end with a hash table, so hostile input with
    // thousands of keys costs linear, not quadratic, time.
    private const int InlineDuplicateCheckLimit = 32;

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    // Parse state: where the input text was copied into the arena, how long its compact form would be, and whether
    // it had no escapes and no repeated keys (then, if it was compact, it is the event's serialized form).
    private int _rawBase;
    private int _parsedCompactLength;
    private bool _parsedCanonical;

    /// <summary>Parses a UTF-8 JSON object. Throws <see cref="EventFormatException"/> for anything else.</summary>
    /// <remarks>
    /// The input is copied into the arena once and the nodes point into that copy: keys, strings without escapes and
    /// numbers are not copied again, only unescaped strings are appended. When the input is compact JSON without
    /// escapes or duplicate keys, the copy is also the event's serialized form until something changes it.
    /// </remarks>
    public static Event Parse(ReadOnlySpan<byte> utf8Json)
    {
        var evt = new Event(utf8Json.Length + ArenaSlack, NodeEstimate(utf8Json.Length));
        try
        {
            utf8Json.CopyTo(evt._arena);
            evt._arenaLength = utf8Json.Length;
            // The reader reads the caller's text, so the arena may grow while it does (unescaped strings).
            evt.ParseCopiedText(utf8Json);
            return evt;
        }
        catch
        {
            evt.Release();
            throw;
        }
    }

    /// <summary>
    /// An event that is JSON text until something reads or changes it: the text is copied now and parsed at the first
    /// access, by whichever thread owns the event then. Sources hand these on when the stages they feed parse
    /// (<c>ISourceContext.ConsumersParse</c>), so that parsing runs in the stages' isolates, in parallel, instead of on
    /// the source's one thread. An invalid text throws <see cref="EventFormatException"/> at that first access.
    /// </summary>
    /// <param name="inputLine">The line number of the text in the source's input (0: none), for the error message.</param>
    public static Event Unparsed(ReadOnlySpan<byte> utf8Json, long inputLine = 0)
    {
        // Parsing reads the text in the arena itself, which therefore must not grow while it does: room for every
        // unescaped string (never longer than its escaped form) when the text has escapes at all.
        var room = utf8Json.Length + ArenaSlack + (utf8Json.Contains((byte)'\\') ? utf8Json.Length : 0);
        var evt = new Event(room);
        utf8Json.CopyTo(evt._arena);
        evt._arenaLength = utf8Json.Length;
        evt._inputLine = inputLine;
        return evt;
    }

    /// <summary>False for an <see cref="Unparsed"/> event until it is parsed (and for a released one).</summary>
    public bool IsParsed => _nodes is not null;

    /// <summary>Parses an <see cref="Unparsed"/> event now; nothing for a parsed one. Throws
    /// <see cref="EventFormatException"/> if the text is not a JSON object, and the event then stays unparsed.</summary>
    public void EnsureParsed()
    {
        if (_nodes is null)
        {
            ParseDeferred();
        }
    }

    /// <summary>An unparsed event's text (for a dead-letter record of an invalid one).</summary>
    internal ReadOnlySpan<byte> UnparsedText => _nodes is null && _arena is not null ? _arena.AsSpan(0, _arenaLength) : default;

    /// <summary>An unparsed event's line number in its source's input; 0 when unknown.</summary>
    internal long InputLine => _inputLine;

    private EventNode[] ParseDeferred()
    {
        var arena = _arena ?? throw Released();
        var length = _arenaLength;
        _nodes = EventMemory.Nodes.Rent(NodeEstimate(length));
        try
        {
            ParseCopiedText(arena.AsSpan(0, length));
            // Unparsed left room for every unescaped string: the arena the reader read is still the event's.
            System.Diagnostics.Debug.Assert(ReferenceEquals(arena, _arena), "the arena grew while its own text was parsed");
            return _nodes;
        }
        catch
        {
            // Back to unparsed, as it was: the caller dead-letters the text.
            EventMemory.Nodes.Return(_nodes);
            _nodes = null;
            _nodeCount = 0;
            _arenaLength = length;
            _pristineLength = 0;
            throw;
        }
    }

    // Nodes: one per 16 bytes of input covers typical log lines; capped, since a long message is one node however
    // long it is (uncapped, a 1 KiB line took a 128-node array, 5 KiB), and the array doubles when it must.
    private static int NodeEstimate(int textLength) => Math.Min((textLength / 16) + 8, 32);

    /// <summary>Parses <paramref name="utf8Json"/>, already copied to the start of the arena, into the nodes.</summary>
    private void ParseCopiedText(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
        try
        {
            ValidateUtf8(utf8Json);
            _rawBase = 0;
            _parsedCompactLength = 0;
            _parsedCanonical = true;
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new EventFormatException($"expected a JSON object, found {Describe(reader.TokenType)}");
            }
            var start = (int)reader.TokenStartIndex;
            ReadValue(ref reader);
            var length = (int)reader.BytesConsumed - start;
            ReadEnd(ref reader);
            if (_parsedCanonical && _parsedCompactLength == length)
            {
                _pristineStart = start;
                _pristineLength = length;
            }
        }
        catch (JsonException ex)
        {
            throw new EventFormatException($"invalid JSON: {JsonErrorText.Describe(ex)}", ex);
        }
        catch (InvalidOperationException ex) when (ex is not ObjectDisposedException)
        {
            throw InvalidString(ex, reader.TokenStartIndex);
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

    /// <summary>Parses any JSON value into a new unlinked node and returns it. Safe when
    /// <paramref name="utf8Json"/> lies in this event's arena.</summary>
    private int ParseDetached(ReadOnlySpan<byte> utf8Json)
    {
        byte[]? copy = null;
        if (utf8Json.Overlaps(_arena))
        {
            // The text lives in this event's arena (e.g. a field being parsed in place), and growing the arena (for
            // the copy below, or an unescaped string) would return that memory to the pool while the reader reads it.
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
            _rawBase = _arenaLength;
            utf8Json.CopyTo(_arena.AsSpan(_rawBase));
            _arenaLength += utf8Json.Length;
            reader.Read();
            parsed = ReadValue(ref reader);
            ReadEnd(ref reader);
        }
        catch (JsonException ex)
        {
            throw new EventFormatException($"invalid JSON: {JsonErrorText.Describe(ex)}", ex);
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
        return parsed;
    }

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

    /// <summary>Reads the value at the reader's current token into a new node, which is returned unlinked. The input
    /// must already be in the arena at <see cref="_rawBase"/>: the nodes point into it.</summary>
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
                    keyLength = Text(ref reader, out keyStart);
                    keyFlags = reader.ValueIsEscaped ? EventNode.KeyNeedsEscaping : (byte)0;
                    // The quotes and the colon.
                    _parsedCompactLength += keyLength + 3;
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    _parsedCompactLength++;
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
                    if (_nodes![current].Count > 1)
                    {
                        // The comma before this member.
                        _parsedCompactLength++;
                    }
                    if (StartValue(ref reader, child))
                    {
                        current = child;
                    }
                    break;
            }
        }
        throw new EventFormatException("invalid JSON: the input ended inside a value");
    }

    /// <summary>
    /// The current string or key: where its text is in the arena (the input copy when it has no escapes, else its
    /// unescaped form appended) and its length.
    /// </summary>
    private int Text(ref Utf8JsonReader reader, out int start)
    {
        if (!reader.ValueIsEscaped)
        {
            // The raw bytes were validated as UTF-8 up front (the reader itself does not validate them); the token
            // starts at its opening quote.
            start = _rawBase + (int)reader.TokenStartIndex + 1;
            return reader.ValueSpan.Length;
        }
        // Unescapes, and rejects escapes that decode to invalid UTF-16 (lone surrogates). The writer escapes
        // differently from most inputs, so the input text is no longer the event's serialized form.
        _parsedCanonical = false;
        EnsureArena(reader.ValueSpan.Length);
        start = _arenaLength;
        var length = reader.CopyString(_arena.AsSpan(start));
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
                _parsedCompactLength++;
                return true;
            case JsonTokenType.String:
                n.Kind = (byte)EventValueKind.String;
                n.ValueLength = Text(ref reader, out n.ValueStart);
                if (reader.ValueIsEscaped)
                {
                    n.Flags |= EventNode.ValueNeedsEscaping;
                }
                _parsedCompactLength += n.ValueLength + 2;
                return false;
            case JsonTokenType.Number:
                n.Kind = (byte)EventValueKind.Number;
                n.ValueStart = _rawBase + (int)reader.TokenStartIndex;
                n.ValueLength = reader.ValueSpan.Length;
                _parsedCompactLength += n.ValueLength;
                return false;
            case JsonTokenType.True:
            case JsonTokenType.False:
                n.Kind = (byte)EventValueKind.Boolean;
                n.ValueStart = reader.TokenType == JsonTokenType.True ? 1 : 0;
                _parsedCompactLength += reader.TokenType == JsonTokenType.True ? 4 : 5;
                return false;
            default:
                n.Kind = (byte)EventValueKind.Null;
                _parsedCompactLength += 4;
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
                        // The input repeats a key: its text is no longer the event's serialized form.
                        _parsedCanonical = false;
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
                    _parsedCanonical = false;
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
}

namespace Pipeline.Events;

/// <summary>
/// One JSON value inside an <see cref="Event"/>'s node array. Keys and values live in the event's byte arena;
/// nodes refer to them by offset, and to each other by index (-1 for none), so an event is two pooled arrays
/// and no per-field objects.
/// </summary>
internal struct EventNode
{
    /// <summary>The key is stored unescaped and contains a quote, backslash or control character (or may: set
    /// conservatively whenever the input escaped it), so the writer must scan it.</summary>
    public const byte KeyNeedsEscaping = 1;

    /// <summary>As <see cref="KeyNeedsEscaping"/>, for a string value.</summary>
    public const byte ValueNeedsEscaping = 2;

    /// <summary>An object grew past the inline duplicate check while parsing; duplicates are resolved at its end.</summary>
    public const byte NeedsBulkDeduplication = 4;

    public byte Kind;
    public byte Flags;

    /// <summary>Offset of the unescaped key in the arena; -1 for array elements and the root.</summary>
    public int KeyStart;
    public int KeyLength;

    /// <summary>String: unescaped UTF-8 bytes. Number: the raw JSON text (kept so numbers round-trip byte-exactly).
    /// Boolean: <see cref="ValueStart"/> is 1 or 0. Object and array: <see cref="ValueLength"/> is the approximate
    /// serialized size, kept current so that <see cref="Event.EstimatedSize"/> is O(1).</summary>
    public int ValueStart;
    public int ValueLength;

    public int Parent;
    public int Next;
    public int FirstChild;
    public int LastChild;
    public int Count;

    public readonly EventValueKind ValueKind => (EventValueKind)Kind;

    public readonly bool IsContainer => Kind >= (byte)EventValueKind.Object;
}

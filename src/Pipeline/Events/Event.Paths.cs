using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace Pipeline.Events;

// Fields by path: reading (Get, Exists) and changing (Set*, Remove, Rename, Copy), creating missing parents on
// the way and naming the path in every error.
public sealed partial class Event
{
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
        Touch();
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
        Touch();
        _ = Nodes;
        var parsed = ParseDetached(utf8Json);
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
        Touch();
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
        Touch();
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
        Touch();
        var node = Find(from);
        if (node < 0)
        {
            return false;
        }
        Place(to, CopySubtree(this, node));
        return true;
    }

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

    private static byte EscapingFlag(ReadOnlySpan<byte> utf8) =>
        EventJsonWriter.NeedsEscaping(utf8) ? EventNode.ValueNeedsEscaping : (byte)0;

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
        Touch();
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
        Touch();
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
        Touch();
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

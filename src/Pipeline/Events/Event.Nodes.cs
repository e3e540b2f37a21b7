namespace Pipeline.Events;

// The node tree: finding children, linking, unlinking, moving and copying nodes, and keeping every container's
// serialized size current as they change, so that EstimatedSize stays O(1).
public sealed partial class Event
{
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

    private ReadOnlySpan<byte> KeySpan(int node) => _arena.AsSpan(_nodes![node].KeyStart, _nodes[node].KeyLength);

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

    /// <summary>Adds <paramref name="delta"/> to the size of <paramref name="node"/> and all its ancestors.</summary>
    private void AddSize(int node, int delta)
    {
        var nodes = _nodes!;
        for (var p = node; p >= 0; p = nodes[p].Parent)
        {
            nodes[p].ValueLength += delta;
        }
    }
}

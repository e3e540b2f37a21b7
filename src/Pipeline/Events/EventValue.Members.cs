namespace Pipeline.Events;

// Walking a container without paths: a sink that writes every field in its own format (OTLP's protobuf) reads the
// members in order, key bytes and values straight from the event's memory.
public readonly partial struct EventValue
{
    /// <summary>The members of an object (key and value) or the elements of an array (empty keys), in order; nothing for a scalar.</summary>
    public MemberEnumerator EnumerateMembers()
        => _owner is not null && Stored.IsContainer ? new MemberEnumerator(_owner, Stored.FirstChild) : default;

    /// <summary>The member of an object with this key; false for a missing key or a value that is no object.</summary>
    public bool TryGetMember(ReadOnlySpan<byte> key, out EventValue member)
    {
        if (_owner is not null && Stored.ValueKind == EventValueKind.Object)
        {
            var nodes = _owner.Nodes;
            var arena = _owner.Arena;
            for (var c = nodes[_index].FirstChild; c >= 0; c = nodes[c].Next)
            {
                if (arena.AsSpan(nodes[c].KeyStart, nodes[c].KeyLength).SequenceEqual(key))
                {
                    member = new EventValue(_owner, c);
                    return true;
                }
            }
        }
        member = Missing;
        return false;
    }

    /// <summary>Enumerates a container's children without allocating; valid while the event is not changed.</summary>
    public struct MemberEnumerator
    {
        private readonly Event? _owner;
        private int _next;
        private int _current;

        internal MemberEnumerator(Event owner, int first)
        {
            _owner = owner;
            _next = first;
            _current = -1;
        }

        /// <summary>The current member's key, unescaped UTF-8 (empty for an array element).</summary>
        public readonly ReadOnlySpan<byte> Key
        {
            get
            {
                ref readonly var node = ref _owner!.Nodes[_current];
                return node.KeyStart < 0 ? default : _owner.Arena.AsSpan(node.KeyStart, node.KeyLength);
            }
        }

        public readonly EventValue Current => new(_owner!, _current);

        public bool MoveNext()
        {
            if (_owner is null || _next < 0)
            {
                return false;
            }
            _current = _next;
            _next = _owner.Nodes[_current].Next;
            return true;
        }

        public readonly MemberEnumerator GetEnumerator() => this;
    }
}

using System.Buffers;
using System.Numerics;

namespace Pipeline.Events;

/// <summary>
/// The array pool behind events: power-of-two size classes, each thread renting from and returning to its own
/// magazine of <see cref="MagazineSize"/> arrays, and whole magazines moving between threads through one shared depot.
/// </summary>
/// <remarks>
/// Written here because no pool in .NET fits how events live. An event's arrays are rented on one thread (a source, a
/// stage parsing its input) and returned on another (the sink that delivered it), thousands at a time in flight.
/// <see cref="ArrayPool{T}.Shared"/> keeps a few dozen arrays per core, so such traffic mostly allocates (measured:
/// 2,350 bytes per event); <see cref="ArrayPool{T}.Create(int, int)"/> holds enough, but takes a spin lock for every
/// rent and every return, and the threads of a pipeline contend on it (measured: 7.5 % of the http source's CPU in
/// the pool's rent, return and spinning). Here a thread's rents and returns touch only its own magazines; the depot's
/// lock is taken once per <see cref="MagazineSize"/> arrays, when a thread's magazine runs empty or full.
/// </remarks>
internal sealed class EventArrayPool<T> : ArrayPool<T>
{
    /// <summary>Arrays a thread keeps per size class before it hands a full magazine to the depot.</summary>
    internal const int MagazineSize = 32;

    private const int SmallestClass = 16;

    // Per thread and closed type: this thread's magazines (one per size class) and the pool they belong to, so that a
    // thread's first use of a replacement pool (EventMemory.Trim) starts empty instead of returning the old pool's arrays.
    [ThreadStatic]
    private static Magazine[]? t_magazines;

    [ThreadStatic]
    private static EventArrayPool<T>? t_owner;

    private readonly Depot[] _depots;
    private readonly int _largest;

    /// <param name="maxArrayLength">Longer arrays are allocated and dropped, not pooled.</param>
    /// <param name="maxArraysPerClass">Arrays the depot holds per size class; beyond that, returned arrays are dropped.</param>
    public EventArrayPool(int maxArrayLength, int maxArraysPerClass)
    {
        _largest = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(maxArrayLength, SmallestClass));
        _depots = new Depot[ClassOf(_largest) + 1];
        for (var i = 0; i < _depots.Length; i++)
        {
            _depots[i] = new Depot(Math.Max(1, maxArraysPerClass / MagazineSize));
        }
    }

    public override T[] Rent(int minimumLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumLength);
        if (minimumLength == 0)
        {
            return [];
        }
        if (minimumLength > _largest)
        {
            return new T[minimumLength];
        }
        var sizeClass = ClassOf(minimumLength);
        var magazine = Magazines()[sizeClass];
        if (magazine.Count == 0 && !_depots[sizeClass].TryRefill(magazine))
        {
            return new T[SmallestClass << sizeClass];
        }
        var array = magazine.Items[--magazine.Count];
        magazine.Items[magazine.Count] = null;
        return array!;
    }

    public override void Return(T[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        var length = array.Length;
        if (length < SmallestClass || length > _largest || !BitOperations.IsPow2(length))
        {
            // Not one of this pool's sizes (an unpooled large array, or an empty one): left to the collector.
            return;
        }
        if (clearArray)
        {
            Array.Clear(array);
        }
        var sizeClass = ClassOf(length);
        var magazine = Magazines()[sizeClass];
        if (magazine.Count == MagazineSize)
        {
            _depots[sizeClass].Stash(magazine);
        }
        magazine.Items[magazine.Count++] = array;
    }

    /// <summary>Arrays held in the depot of the class that <paramref name="length"/> falls in (tests).</summary>
    internal int DepotArrays(int length) => _depots[ClassOf(length)].Arrays;

    private static int ClassOf(int length) => BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)Math.Max(length, SmallestClass))) - 4;

    private Magazine[] Magazines()
    {
        if (ReferenceEquals(t_owner, this) && t_magazines is { } mine)
        {
            return mine;
        }
        var magazines = new Magazine[_depots.Length];
        for (var i = 0; i < magazines.Length; i++)
        {
            magazines[i] = new Magazine();
        }
        t_magazines = magazines;
        t_owner = this;
        return magazines;
    }

    /// <summary>Up to <see cref="MagazineSize"/> arrays of one size class, used as a stack by the thread that owns it.</summary>
    private sealed class Magazine
    {
        public T[]?[] Items = new T[MagazineSize][];

        public int Count;
    }

    /// <summary>
    /// Full magazines' arrays, shared by every thread, and spare empty item arrays to swap back; both guarded by
    /// <c>_gate</c>, taken once per magazine.
    /// </summary>
    private sealed class Depot(int capacity)
    {
        private readonly Lock _gate = new();
        private readonly Stack<T[]?[]> _full = new();
        private readonly Stack<T[]?[]> _empty = new();

        public int Arrays
        {
            get
            {
                lock (_gate)
                {
                    return _full.Count * MagazineSize;
                }
            }
        }

        /// <summary>Swaps the thread's empty magazine for a full one; false when the depot has none.</summary>
        public bool TryRefill(Magazine magazine)
        {
            lock (_gate)
            {
                if (!_full.TryPop(out var items))
                {
                    return false;
                }
                _empty.Push(magazine.Items);
                magazine.Items = items;
                magazine.Count = MagazineSize;
                return true;
            }
        }

        /// <summary>Takes the thread's full magazine (or drops its arrays when the depot is at capacity) and leaves it empty.</summary>
        public void Stash(Magazine magazine)
        {
            lock (_gate)
            {
                if (_full.Count < capacity)
                {
                    _full.Push(magazine.Items);
                    magazine.Items = _empty.TryPop(out var spare) ? spare : new T[MagazineSize][];
                }
                else
                {
                    Array.Clear(magazine.Items);
                }
                magazine.Count = 0;
            }
        }
    }
}

using System.Collections.Concurrent;

namespace Pipeline.Sinks.Loki;

/// <summary>
/// The distinct values each label of one loki sink has taken in this process, up to <c>max_label_values</c> per
/// label: the bound on the streams the sink can create, whatever its templates meet. Shared by the sink's isolates.
/// </summary>
/// <remarks>
/// A value seen before is found without locking or allocating (a span lookup); a new one costs its string once. The
/// sets only grow, up to the bound: a value admitted stays a label for the life of the process, so a stream never
/// flips between its label and the overflow value.
/// </remarks>
internal sealed class LokiLabelValues
{
    private readonly ConcurrentDictionary<string, byte>[] _values;
    private readonly ConcurrentDictionary<string, byte>.AlternateLookup<ReadOnlySpan<char>>[] _lookups;

    /// <summary>Admitted values per label, counted apart from the dictionary because its Count takes every lock.</summary>
    private readonly int[] _counts;

    private readonly int _max;

    public LokiLabelValues(int labels, int maxValuesPerLabel)
    {
        _max = maxValuesPerLabel;
        _values = new ConcurrentDictionary<string, byte>[labels];
        _lookups = new ConcurrentDictionary<string, byte>.AlternateLookup<ReadOnlySpan<char>>[labels];
        _counts = new int[labels];
        for (var i = 0; i < labels; i++)
        {
            _values[i] = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
            _lookups[i] = _values[i].GetAlternateLookup<ReadOnlySpan<char>>();
        }
    }

    /// <summary>True when <paramref name="value"/> may be label <paramref name="label"/>'s value: seen before, or new and within the bound.</summary>
    public bool Admit(int label, ReadOnlySpan<char> value)
    {
        var lookup = _lookups[label];
        if (lookup.ContainsKey(value))
        {
            return true;
        }
        if (Interlocked.Increment(ref _counts[label]) > _max)
        {
            Interlocked.Decrement(ref _counts[label]);
            // Another isolate may have admitted this very value while the count was full of others.
            return lookup.ContainsKey(value);
        }
        if (!lookup.TryAdd(value, 0))
        {
            // Another isolate added it first: it holds the slot.
            Interlocked.Decrement(ref _counts[label]);
        }
        return true;
    }
}

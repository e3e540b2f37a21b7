namespace Pipeline.Sources.Http;

/// <summary>
/// Bytes of request bodies held at once: one http source's own (<c>max_in_flight_bytes</c>), or the default budget
/// shared by every http source that leaves it unset.
/// </summary>
/// <remarks>
/// Shared, not one default per source: the process holds about four times these bytes while parsing, so two sources
/// with an eighth of the memory each could take all of it. With one shared eighth, adding a source never raises what
/// ingest may hold, and the topology's memory estimate counts the default once.
/// </remarks>
internal sealed class InFlightBytes(long max)
{
    private static readonly Lazy<InFlightBytes> Default = new(() => new InFlightBytes(DefaultMax));

    private long _held;

    /// <summary>An eighth of the memory available to the process (its container limit included).</summary>
    public static long DefaultMax => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 8;

    /// <summary>The budget every http source without max_in_flight_bytes draws on.</summary>
    public static InFlightBytes SharedDefault => Default.Value;

    public long Max => max;

    /// <summary>Takes <paramref name="bytes"/>; false, taking nothing, when they do not fit.</summary>
    public bool TryTake(long bytes)
    {
        if (Interlocked.Add(ref _held, bytes) > max)
        {
            Interlocked.Add(ref _held, -bytes);
            return false;
        }
        return true;
    }

    public void Give(long bytes) => Interlocked.Add(ref _held, -bytes);
}

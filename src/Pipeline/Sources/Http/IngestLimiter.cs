namespace Pipeline.Sources.Http;

/// <summary>
/// Bounds what one http source holds at once: request bodies in bytes (by Content-Length, or max_body when it is not
/// known or the body is gzip) and requests. A request over either limit is refused before its body is read.
/// </summary>
internal sealed class IngestLimiter(long maxBytes, int maxRequests)
{
    private long _bytes;
    private int _requests;

    public long MaxBytes => maxBytes;

    public int MaxRequests => maxRequests;

    /// <summary>Takes room for a request of <paramref name="bytes"/>; false, taking nothing, when there is none.</summary>
    public bool TryReserve(long bytes)
    {
        if (Interlocked.Increment(ref _requests) > maxRequests)
        {
            Interlocked.Decrement(ref _requests);
            return false;
        }
        if (Interlocked.Add(ref _bytes, bytes) > maxBytes)
        {
            Interlocked.Add(ref _bytes, -bytes);
            Interlocked.Decrement(ref _requests);
            return false;
        }
        return true;
    }

    public void Release(long bytes)
    {
        Interlocked.Add(ref _bytes, -bytes);
        Interlocked.Decrement(ref _requests);
    }
}

namespace Pipeline.Sources.Http;

/// <summary>
/// Bounds what one http source holds at once: request bodies in bytes (by Content-Length, or max_body when it is not
/// known or the body is gzip; its own budget or the shared default) and requests. A request over either limit is
/// refused before its body is read.
/// </summary>
internal sealed class IngestLimiter(InFlightBytes bytes, int maxRequests)
{
    private int _requests;

    /// <summary>A limiter with a byte budget of its own.</summary>
    public IngestLimiter(long maxBytes, int maxRequests)
        : this(new InFlightBytes(maxBytes), maxRequests)
    {
    }

    public long MaxBytes => bytes.Max;

    public int MaxRequests => maxRequests;

    /// <summary>Takes room for a request of <paramref name="requestBytes"/>; false, taking nothing, when there is none.</summary>
    public bool TryReserve(long requestBytes)
    {
        if (Interlocked.Increment(ref _requests) > maxRequests)
        {
            Interlocked.Decrement(ref _requests);
            return false;
        }
        if (!bytes.TryTake(requestBytes))
        {
            Interlocked.Decrement(ref _requests);
            return false;
        }
        return true;
    }

    public void Release(long requestBytes)
    {
        bytes.Give(requestBytes);
        Interlocked.Decrement(ref _requests);
    }
}

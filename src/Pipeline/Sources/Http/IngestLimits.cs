using Pipeline.Components;

namespace Pipeline.Sources.Http;

/// <summary>The limits every source that takes requests has (the http source, the otlp source): one check of them, one budget of bytes.</summary>
internal static class IngestLimits
{
    /// <summary>Throws <see cref="ComponentBuildException"/> at the first option out of its range, naming it.</summary>
    public static void Validate(ByteSize maxBody, ByteSize? maxInFlightBytes, int maxConcurrentRequests, TimeSpan acknowledgementsTimeout, TimeSpan backpressureTimeout)
    {
        // The body is held in one array while it is parsed, so it cannot exceed what an array holds.
        if (maxBody.Bytes <= 0 || maxBody.Bytes >= Array.MaxLength)
        {
            throw new ComponentBuildException("max_body", $"expected a size between 1 byte and 2GiB, found {maxBody.Bytes} bytes");
        }
        if (maxInFlightBytes is { } inFlight && inFlight.Bytes < maxBody.Bytes)
        {
            throw new ComponentBuildException("max_in_flight_bytes", $"expected at least max_body ({maxBody.Bytes} bytes), so one request of max_body fits; found {inFlight.Bytes} bytes");
        }
        // Each request in flight holds a connection and its buffers; past 65,536 the limit no longer limits anything a
        // single process can serve (it is also a common per-process descriptor limit).
        if (maxConcurrentRequests is < 1 or > 65_536)
        {
            throw new ComponentBuildException("max_concurrent_requests", $"expected an integer between 1 and 65,536, found {maxConcurrentRequests}");
        }
        if (acknowledgementsTimeout <= TimeSpan.Zero)
        {
            throw new ComponentBuildException("acknowledgements_timeout", $"expected a duration above 0, found {acknowledgementsTimeout}");
        }
        if (backpressureTimeout < TimeSpan.Zero)
        {
            throw new ComponentBuildException("backpressure_timeout", $"expected a duration of 0 or more, found {backpressureTimeout}");
        }
    }

    /// <summary>The source's own budget when it sets one, else the shared default (or max_body of its own when that is larger).</summary>
    public static InFlightBytes Budget(ByteSize? maxInFlightBytes, ByteSize maxBody)
        => maxInFlightBytes is { } set ? new InFlightBytes(set.Bytes)
            : maxBody.Bytes > InFlightBytes.SharedDefault.Max ? new InFlightBytes(maxBody.Bytes)
            : InFlightBytes.SharedDefault;
}

using System.Buffers.Binary;
using System.Diagnostics;

namespace Pipeline.Telemetry;

/// <summary>
/// A W3C trace id kept as two numbers instead of the hex string <see cref="ActivityTraceId"/> holds. The pipeline gives
/// every event that arrives without a trace context a fresh trace id, and most of those events are never sampled:
/// keeping their id as two numbers costs no allocation, and the hex string is made only when a log line or a
/// dead-letter record actually needs it.
/// </summary>
public readonly record struct CompactTraceId(ulong High, ulong Low)
{
    public bool IsEmpty => High == 0 && Low == 0;

    /// <summary>A random, valid (non-zero) trace id, as W3C Trace Context asks of a new trace.</summary>
    public static CompactTraceId CreateRandom()
    {
        Span<byte> bytes = stackalloc byte[16];
        do
        {
            Random.Shared.NextBytes(bytes);
        }
        while (bytes.IndexOfAnyExcept((byte)0) < 0);
        return FromBytes(bytes);
    }

    public static CompactTraceId From(ActivityTraceId traceId)
    {
        Span<byte> bytes = stackalloc byte[16];
        traceId.CopyTo(bytes);
        return FromBytes(bytes);
    }

    public ActivityTraceId ToActivityTraceId()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, High);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], Low);
        return ActivityTraceId.CreateFromBytes(bytes);
    }

    /// <summary>Lower-case hex, 32 characters, as in a <c>traceparent</c> header.</summary>
    public string ToHexString() => IsEmpty ? "" : ToActivityTraceId().ToHexString();

    public override string ToString() => ToHexString();

    private static CompactTraceId FromBytes(ReadOnlySpan<byte> bytes)
        => new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));
}

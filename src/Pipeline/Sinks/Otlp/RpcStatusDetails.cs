using System.Text;

namespace Pipeline.Sinks.Otlp;

/// <summary>
/// A google.rpc.Status (the grpc-status-details-bin trailer, or an OTLP/HTTP error body): its message, and the delay of
/// a google.rpc.RetryInfo among its details, which the OTLP specification asks a client to wait before retrying.
/// </summary>
internal static class RpcStatusDetails
{
    private static ReadOnlySpan<byte> RetryInfoType => "type.googleapis.com/google.rpc.RetryInfo"u8;

    /// <summary>Status.message (field 2); null when there is none.</summary>
    public static string? Message(ReadOnlySpan<byte> status)
    {
        var reader = new ProtobufReader(status);
        while (reader.Next(out var field, out var wireType))
        {
            if (field == 2 && wireType == ProtobufWriter.WireLengthDelimited)
            {
                var text = reader.Bytes();
                return text.IsEmpty ? null : Encoding.UTF8.GetString(text);
            }
            reader.Skip(wireType);
        }
        return null;
    }

    /// <summary>RetryInfo.retry_delay from Status.details (field 3, each an Any); null when there is none.</summary>
    public static TimeSpan? RetryDelay(ReadOnlySpan<byte> status)
    {
        var reader = new ProtobufReader(status);
        while (reader.Next(out var field, out var wireType))
        {
            if (field != 3 || wireType != ProtobufWriter.WireLengthDelimited)
            {
                reader.Skip(wireType);
                continue;
            }
            var any = new ProtobufReader(reader.Bytes());
            var isRetryInfo = false;
            ReadOnlySpan<byte> value = default;
            while (any.Next(out var anyField, out var anyType))
            {
                if (anyField == 1 && anyType == ProtobufWriter.WireLengthDelimited)
                {
                    isRetryInfo = any.Bytes().SequenceEqual(RetryInfoType);
                }
                else if (anyField == 2 && anyType == ProtobufWriter.WireLengthDelimited)
                {
                    value = any.Bytes();
                }
                else
                {
                    any.Skip(anyType);
                }
            }
            if (isRetryInfo && Duration(value) is { } delay)
            {
                return delay;
            }
        }
        return null;
    }

    /// <summary>RetryInfo { google.protobuf.Duration retry_delay = 1 } → the Duration's seconds and nanos.</summary>
    private static TimeSpan? Duration(ReadOnlySpan<byte> retryInfo)
    {
        var reader = new ProtobufReader(retryInfo);
        while (reader.Next(out var field, out var wireType))
        {
            if (field != 1 || wireType != ProtobufWriter.WireLengthDelimited)
            {
                reader.Skip(wireType);
                continue;
            }
            var duration = new ProtobufReader(reader.Bytes());
            long seconds = 0, nanos = 0;
            while (duration.Next(out var part, out var partType))
            {
                if (part == 1 && partType == ProtobufWriter.WireVarint)
                {
                    seconds = (long)duration.Varint();
                }
                else if (part == 2 && partType == ProtobufWriter.WireVarint)
                {
                    nanos = (long)duration.Varint();
                }
                else
                {
                    duration.Skip(partType);
                }
            }
            // A negative or absurd delay (over a day) is no advice to follow.
            return seconds is >= 0 and <= 86_400 && nanos is >= 0 and < 1_000_000_000
                ? TimeSpan.FromSeconds(seconds) + TimeSpan.FromTicks(nanos / 100)
                : null;
        }
        return null;
    }
}

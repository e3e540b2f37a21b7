using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Telemetry;

namespace Pipeline.Sources.Kafka;

internal sealed partial class KafkaSource
{
    private const string TraceparentHeader = "traceparent";
    private const string TracestateHeader = "tracestate";

    private readonly ArrayBufferWriter<byte> _headersJson = new(256);

    /// <summary>
    /// Hands on what the last poll took, one run per partition in offset order, each a <see cref="SourceBatch"/> whose
    /// completion the partition's progress waits for. False when the pipeline is shutting down.
    /// </summary>
    private bool HandOn(CancellationToken stopping)
    {
        var start = 0;
        while (start < _polled.Count)
        {
            var partition = _polled[start].TopicPartition;
            var end = start + 1;
            while (end < _polled.Count && _polled[end].TopicPartition == partition)
            {
                end++;
            }
            if (!HandOnRun(partition, start, end, stopping))
            {
                return false;
            }
            start = end;
        }
        return true;
    }

    private bool HandOnRun(TopicPartition partition, int start, int end, CancellationToken stopping)
    {
        if (!_progress.TryGetValue(partition, out var progress))
        {
            // A record of a partition revoked since the poll: its next owner reads it.
            return true;
        }
        var count = 0;
        for (var i = start; i < end; i++)
        {
            var record = _polled[i];
            if (ToEvent(record) is { } evt)
            {
                _events[count] = evt;
                _traceContexts[count] = TraceContextOf(record.Message.Headers);
                _offsets[count] = record.Offset.Value;
                count++;
            }
        }
        var lastOffset = _polled[end - 1].Offset.Value;
        var batch = _context.BeginBatch();
        var sending = _context.SendAllWithinAsync(
            _events.AsMemory(0, count), _traceContexts.AsMemory(0, count), _offsets.AsMemory(0, count), Timeout.InfiniteTimeSpan, batch, null, stopping);
        // The consumer's own thread: waiting here is the backpressure (it stops polling), not a blocked pool thread.
        var (sent, _) = sending.IsCompleted ? sending.Result : sending.AsTask().GetAwaiter().GetResult();
        if (sent < count)
        {
            // Shutting down: what was not handed on stays uncommitted and is read again after the restart.
            lastOffset = _offsets[sent] - 1;
            for (var i = sent; i < count; i++)
            {
                _events[i].Release();
            }
        }
        Array.Clear(_events, 0, count);
        batch?.Seal();
        progress.HandedOn(batch?.Completion ?? Task.CompletedTask, lastOffset);
        return sent == count;
    }

    /// <summary>The record's value decoded, with its metadata fields; null when it does not decode (reported as invalid input).</summary>
    private Event? ToEvent(ConsumeResult<byte[]?, byte[]?> record)
    {
        var value = record.Message.Value;
        if (value is null)
        {
            _context.ReportInvalidInput($"{Describe(record)}: a record without a value (a tombstone), expected an event", []);
            return null;
        }
        if (_decoder.Decode(value, out var error) is not { } evt)
        {
            _context.ReportInvalidInput($"{Describe(record)}: {error} (decoding.codec: {_decoder.CodecName})", value);
            return null;
        }
        try
        {
            AddMetadata(evt, record);
            return evt;
        }
        catch (EventFormatException e)
        {
            evt.Release();
            _context.ReportInvalidInput($"{Describe(record)}: {e.Message}", value);
            return null;
        }
    }

    private void AddMetadata(Event evt, ConsumeResult<byte[]?, byte[]?> record)
    {
        var fields = settings.Fields;
        if (fields.Topic is { } topic)
        {
            evt.SetString(topic, record.Topic);
        }
        if (fields.Partition is { } partition)
        {
            evt.SetNumber(partition, record.Partition.Value);
        }
        if (fields.Offset is { } offset)
        {
            evt.SetNumber(offset, record.Offset.Value);
        }
        if (fields.Key is { } key && record.Message.Key is { } keyBytes)
        {
            evt.SetString(key, keyBytes);
        }
        if (fields.Headers is { } headers && record.Message.Headers is { Count: > 0 } recordHeaders && WriteHeaders(recordHeaders))
        {
            evt.SetJson(headers, _headersJson.WrittenSpan);
        }
    }

    /// <summary>The headers other than the trace context as a JSON object of strings; false when there are none.</summary>
    private bool WriteHeaders(Headers headers)
    {
        _headersJson.ResetWrittenCount();
        using var writer = new Utf8JsonWriter(_headersJson);
        writer.WriteStartObject();
        var written = 0;
        foreach (var header in headers)
        {
            if (header.Key is TraceparentHeader or TracestateHeader)
            {
                continue;
            }
            var bytes = header.GetValueBytes() ?? [];
            if (System.Text.Unicode.Utf8.IsValid(bytes))
            {
                writer.WriteString(header.Key, bytes);
            }
            else
            {
                // Not text: kept, as base64, rather than dropped or mangled.
                writer.WriteBase64String(header.Key, bytes);
            }
            written++;
        }
        writer.WriteEndObject();
        writer.Flush();
        return written > 0;
    }

    /// <summary>
    /// The producer's trace context from the W3C traceparent/tracestate headers, so the trace goes on here; default (a
    /// new trace) when there is none or it is malformed, as the http source treats its traceparent header.
    /// </summary>
    private ActivityContext TraceContextOf(Headers? headers)
    {
        if (headers is null || !headers.TryGetLastBytes(TraceparentHeader, out var traceparent))
        {
            return default;
        }
        Span<char> text = stackalloc char[64];
        if (traceparent.Length <= text.Length && Encoding.ASCII.GetChars(traceparent, text) is var length
            && W3CTraceparent.TryParse(text[..length], TraceStateOf(headers), isRemote: true, out var context))
        {
            return context;
        }
        return default;
    }

    private static string? TraceStateOf(Headers headers)
        => headers.TryGetLastBytes(TracestateHeader, out var state) && System.Text.Unicode.Utf8.IsValid(state) ? Encoding.UTF8.GetString(state) : null;

    private static string Describe(ConsumeResult<byte[]?, byte[]?> record) => $"{record.Topic} partition {record.Partition.Value} offset {record.Offset.Value}";
}

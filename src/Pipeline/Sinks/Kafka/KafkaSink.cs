using System.Buffers;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Processors;

namespace Pipeline.Sinks.Kafka;

/// <summary>
/// Produces each event of a batch as one record (the event's JSON, its key, its <c>traceparent</c> and
/// <c>tracestate</c> headers) through the sink's shared producer, then waits for every delivery report: all delivered
/// returns; some refused throws a <see cref="PartialDeliveryException"/> (the runtime dead-letters the refused ones
/// with Kafka's reason and retries the timed-out ones); none delivered for a passing cause (the cluster is
/// unreachable) throws a <see cref="RetryableFailureException"/>, so the runtime retries and backpressure builds.
/// </summary>
/// <remarks>
/// Confluent's .NET client takes each value, key and header as a byte[] of exact length, which it copies into
/// librdkafka's queue during Produce: those arrays are this sink's per-event allocations. The message, the headers
/// collection, the JSON buffer and the delivery handlers are reused.
/// </remarks>
public sealed class KafkaSink : ITracePropagatingSink
{
    private const string TraceparentHeader = "traceparent";
    private const string TracestateHeader = "tracestate";

    /// <summary>How long a produce waits for room when librdkafka's queue is full, before trying again.</summary>
    private static readonly TimeSpan QueueFullPause = TimeSpan.FromMilliseconds(10);

    private readonly SharedKafkaProducer _producer;
    private readonly KafkaTopicTemplate _topic;
    private readonly KafkaRecordKey _key;
    private readonly ArrayBufferWriter<byte> _value = new(4096);
    private readonly Message<byte[], byte[]> _message = new() { Headers = [] };
    private KafkaBatchDelivery _delivery = new();
    private bool _disposed;

    internal KafkaSink(SharedKafkaProducer producer, FieldTemplate topic, KafkaRecordKey key)
    {
        _producer = producer;
        _topic = new KafkaTopicTemplate(topic);
        _key = key;
        producer.Acquire();
    }

    public ValueTask WriteAsync(IReadOnlyList<Event> batch, CancellationToken cancellationToken)
        => WriteAsync(batch, [], cancellationToken);

    public async ValueTask WriteAsync(IReadOnlyList<Event> batch, IReadOnlyList<ActivityContext> traceContexts, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }
        var producer = _producer.Producer;
        var delivery = _delivery;
        delivery.Begin(batch.Count);
        try
        {
            for (var i = 0; i < batch.Count; i++)
            {
                var topic = _topic.Render(batch[i], out var reason);
                if (topic is null)
                {
                    delivery.Fail(i, reason!, retryable: false);
                    continue;
                }
                Fill(batch[i], i < traceContexts.Count ? traceContexts[i] : default);
                while (!TryProduce(producer, topic, delivery, i))
                {
                    // librdkafka's queue is full (queue.buffering.max.messages or .kbytes): wait for room, never drop.
                    await Task.Delay(QueueFullPause, cancellationToken).ConfigureAwait(false);
                }
            }
            await delivery.SealAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Cancelled, or the producer threw something unforeseen: reports of this batch may still come, and they
            // must not count down the next batch.
            _delivery = new KafkaBatchDelivery();
            throw;
        }
        if (delivery.AnyFailed)
        {
            ThrowFailures(delivery.Failures(), batch.Count);
        }
    }

    /// <summary>Each write returns only once librdkafka reported every record of its batch: nothing is left to flush.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            _producer.Release();
        }
        return ValueTask.CompletedTask;
    }

    private bool TryProduce(IProducer<byte[], byte[]> producer, string topic, KafkaBatchDelivery delivery, int index)
    {
        try
        {
            producer.Produce(topic, _message, delivery.HandlerFor(index));
        }
        catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
        {
            return false;
        }
        catch (ProduceException<byte[], byte[]> e)
        {
            // Refused before it was queued: too large for message.max.bytes, an unknown partition.
            delivery.Fail(index, KafkaDeliveryErrors.Describe(e.Error, topic), KafkaDeliveryErrors.IsRetryable(e.Error.Code));
        }
        return true;
    }

    private void Fill(Event evt, ActivityContext trace)
    {
        _value.ResetWrittenCount();
        evt.WriteTo(_value);
        _message.Value = _value.WrittenSpan.ToArray();
        // A null key is what Kafka calls no key: the partitioner spreads such records.
        _message.Key = KeyOf(evt, trace)!;
        var headers = _message.Headers;
        headers.Remove(TraceparentHeader);
        headers.Remove(TracestateHeader);
        if (trace.TraceId != default)
        {
            headers.Add(TraceparentHeader, Traceparent(trace));
            if (!string.IsNullOrEmpty(trace.TraceState))
            {
                headers.Add(TracestateHeader, Encoding.UTF8.GetBytes(trace.TraceState));
            }
        }
    }

    private byte[]? KeyOf(Event evt, ActivityContext trace)
    {
        if (_key.IsTraceId)
        {
            if (trace.TraceId == default)
            {
                return null;
            }
            Span<byte> id = stackalloc byte[16];
            trace.TraceId.CopyTo(id);
            var key = new byte[32];
            Convert.TryToHexStringLower(id, key, out _);
            return key;
        }
        if (_key.FieldPath is not { } field)
        {
            return null;
        }
        var value = evt.Get(field);
        if (value.TryGetUtf8(out var utf8))
        {
            return utf8.ToArray();
        }
        if (value.Kind is EventValueKind.Missing or EventValueKind.Null)
        {
            return null;
        }
        _value.ResetWrittenCount();
        value.WriteUtf8(_value);
        return _value.WrittenSpan.ToArray();
    }

    /// <summary>W3C traceparent, version 00: <c>00-{trace id}-{span id}-{flags}</c> in lowercase hex.</summary>
    private static byte[] Traceparent(ActivityContext trace)
    {
        var header = new byte[55];
        Span<byte> raw = stackalloc byte[16];
        "00-"u8.CopyTo(header);
        trace.TraceId.CopyTo(raw);
        Convert.TryToHexStringLower(raw, header.AsSpan(3, 32), out _);
        header[35] = (byte)'-';
        trace.SpanId.CopyTo(raw[..8]);
        Convert.TryToHexStringLower(raw[..8], header.AsSpan(36, 16), out _);
        header[52] = (byte)'-';
        Span<byte> flags = [(byte)trace.TraceFlags];
        Convert.TryToHexStringLower(flags, header.AsSpan(53, 2), out _);
        return header;
    }

    private static void ThrowFailures(EventDeliveryFailure[] failures, int batchSize)
    {
        var first = failures[0].Reason;
        if (failures.Length == batchSize && failures.All(f => f.Retryable))
        {
            throw new RetryableFailureException($"kafka delivered none of the {batchSize} records of the batch; first: {first}");
        }
        throw new PartialDeliveryException($"kafka did not take {failures.Length} of the {batchSize} records of the batch; first: {first}", failures);
    }
}

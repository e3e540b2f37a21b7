using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Isolates;
using ILogger = Serilog.ILogger;

namespace Pipeline.Topology;

/// <summary>
/// What a running source sees of the topology. Events are accepted whole or not at all: when a send returns
/// false, <see cref="SendResult.Backpressure"/> or <see cref="SendResult.ShuttingDown"/>, nothing was handed on and
/// the caller still owns the event (it may retry it or release it).
/// </summary>
internal sealed class SourceContext(
    string componentId,
    ComponentOutput output,
    ComponentCounters counters,
    DeadLetterWriter deadLetters,
    ILogger logger,
    CancellationToken stopping,
    CancellationToken hardStop) : ISourceContext
{
    public string ComponentId => componentId;

    public ILogger Logger => logger;

    public async ValueTask<bool> SendAsync(Event evt, ActivityContext traceContext, CancellationToken cancellationToken)
        => await OfferAsync(evt, traceContext, Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false) == SendResult.Accepted;

    public ValueTask<SendResult> SendWithinAsync(Event evt, ActivityContext traceContext, TimeSpan deadline, CancellationToken cancellationToken)
        => OfferAsync(evt, traceContext, deadline, cancellationToken);

    public void ReportInvalidInput(string reason, ReadOnlySpan<byte> raw)
    {
        counters.InvalidInputs.Inc();
        logger.Warning("{ComponentId} rejected input of {Bytes} bytes: {Reason}", componentId, raw.Length, reason);
        deadLetters.WriteRaw(counters.Metrics, reason, componentId, raw);
    }

    private ValueTask<SendResult> OfferAsync(Event evt, ActivityContext traceContext, TimeSpan deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(evt);
        if (stopping.IsCancellationRequested)
        {
            return new(SendResult.ShuttingDown);
        }
        cancellationToken.ThrowIfCancellationRequested();
        // Measured before the hand-off: afterwards the event belongs to a downstream isolate.
        var size = evt.EstimatedSize;
        // Seam for tracing (next issue): the ingest span starts here, and its context replaces traceContext when sampled.
        var envelope = new Envelope(evt, traceContext, Stopwatch.GetTimestamp(), 1, componentId);
        var pending = output.OfferAsync(envelope, new OfferLimits(cancellationToken, stopping, deadline), hardStop);
        if (pending.IsCompletedSuccessfully)
        {
            var result = pending.Result;
            Count(result, size);
            return new(result);
        }
        return AwaitAndCountAsync(pending, size);
    }

    private async ValueTask<SendResult> AwaitAndCountAsync(ValueTask<SendResult> pending, int size)
    {
        var result = await pending.ConfigureAwait(false);
        Count(result, size);
        return result;
    }

    private void Count(SendResult result, int size)
    {
        if (result != SendResult.Accepted)
        {
            return;
        }
        var metrics = counters.Metrics;
        metrics.Received.Inc();
        metrics.ReceivedBytes.Inc(size);
        metrics.Sent.Inc();
        metrics.SentBytes.Inc(size);
    }
}

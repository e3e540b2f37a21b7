using System.Buffers;
using Pipeline.Components;
using Pipeline.Config;
using Prometheus;

namespace Pipeline.Isolates;

/// <summary>
/// One output of a source or processor (the default one, or a named one such as <c>route_id.errors</c>) and the
/// pools that consume it. Fan-out happens here: every consumer gets its own event, copies for all but the last.
/// </summary>
public sealed class ComponentOutput
{
    private readonly ComponentCounters _producer;
    private IsolatePool[] _consumers = [];

    // pipeline_edge_events_total of the edge to each consumer, bound once at wiring. Every consumer gets every event
    // this output hands on (fan-out copies), so one count serves all edges; it is published at metrics collection.
    private Counter.Child?[] _edges = [];
    private long _handedOn;

    internal ComponentOutput(ComponentCounters producer, string? name)
    {
        _producer = producer;
        Name = name;
    }

    /// <summary>Null for the default output.</summary>
    public string? Name { get; }

    public IReadOnlyList<IsolatePool> Consumers => _consumers;

    /// <summary>Wiring only, before the topology starts.</summary>
    /// <param name="edge">Counts the events handed along this edge; null when nothing counts them.</param>
    internal void AddConsumer(IsolatePool pool, Counter.Child? edge = null)
    {
        _consumers = [.. _consumers, pool];
        _edges = [.. _edges, edge];
    }

    /// <summary>
    /// Counts <paramref name="events"/> handed on through <see cref="SendAsync"/> on every edge of this output (each
    /// consumer got each of them). Isolates call it once per batch, so the hot path bumps no shared counter per event.
    /// </summary>
    internal void CountHandedOn(long events) => Interlocked.Add(ref _handedOn, events);

    /// <summary>At metrics collection: brings every edge counter of this output up to date.</summary>
    internal void PublishEdgeCounts()
    {
        var handedOn = Interlocked.Read(ref _handedOn);
        foreach (var edge in _edges)
        {
            edge?.IncTo(handedOn);
        }
    }

    /// <summary>
    /// Hands an envelope to every consumer, waiting while a mailbox is full. Ownership of the event moves here.
    /// The caller counts the edges with <see cref="CountHandedOn"/>.
    /// Only <paramref name="stop"/> (the hard stop after the shutdown timeout) interrupts the wait; an envelope
    /// that cannot be delivered then is counted undrained and dead-lettered by the pool.
    /// </summary>
    internal ValueTask SendAsync(in Envelope envelope, CancellationToken stop)
    {
        var consumers = _consumers;
        switch (consumers.Length)
        {
            case 0:
                _producer.UnconsumedDrops.Inc();
                envelope.Event.Release();
                return default;
            case 1:
                var pool = consumers[0];
                return pool.SendToAsync(pool.Route(envelope.Event), envelope, stop);
            default:
                return FanOutAsync(consumers, envelope, stop);
        }
    }

    /// <summary>
    /// For sources: hands an envelope to every consumer, or to none. While a target mailbox is full it waits within
    /// <paramref name="limits"/>; if those run out nothing was handed over, the caller still owns the event, and the
    /// result says why (<see cref="SendResult.Backpressure"/> or <see cref="SendResult.ShuttingDown"/>).
    /// </summary>
    /// <remarks>
    /// With several consumers the decision is made before the first hand-over: every target isolate is chosen and
    /// waited on until it has room, and only then are the copies written. Another producer can take a slot between
    /// the two steps; the write then waits for room without the deadline, so an accepted event is never
    /// half-delivered, at the price of occasionally returning somewhat after the deadline.
    /// </remarks>
    internal ValueTask<SendResult> OfferAsync(in Envelope envelope, OfferLimits limits, CancellationToken stop)
    {
        var consumers = _consumers;
        if (consumers.Length == 0)
        {
            _producer.UnconsumedDrops.Inc();
            envelope.Event.Release();
            return new(SendResult.Accepted);
        }
        if (consumers.Length == 1)
        {
            var pool = consumers[0];
            var target = pool.Route(envelope.Event);
            if (pool.TrySendTo(target, envelope))
            {
                Interlocked.Increment(ref _handedOn);
                return new(SendResult.Accepted);
            }
            return OfferToOneAsync(pool, target, envelope, limits, stop);
        }
        return OfferToAllAsync(consumers, envelope, limits, stop);
    }



    private async ValueTask<SendResult> OfferToOneAsync(IsolatePool pool, Isolate target, Envelope envelope, OfferLimits limits, CancellationToken stop)
    {
        var result = await OfferToOneCoreAsync(pool, target, envelope, limits, stop).ConfigureAwait(false);
        if (result == SendResult.Accepted)
        {
            Interlocked.Increment(ref _handedOn);
        }
        return result;
    }

    private static async ValueTask<SendResult> OfferToOneCoreAsync(IsolatePool pool, Isolate target, Envelope envelope, OfferLimits limits, CancellationToken stop)
    {
        using var wait = limits.CreateWaitSource();
        try
        {
            do
            {
                if (!await target.Mailbox.WaitToWriteAsync(wait.Token).ConfigureAwait(false))
                {
                    // Completed under us (only after the hard stop): the pool counts it undrained.
                    await pool.SendToAsync(target, envelope, stop).ConfigureAwait(false);
                    return SendResult.Accepted;
                }
            }
            while (!pool.TrySendTo(target, envelope));
            return SendResult.Accepted;
        }
        catch (OperationCanceledException) when (wait.IsCancellationRequested)
        {
            return limits.WhyCancelled();
        }
    }

    private async ValueTask<SendResult> OfferToAllAsync(IsolatePool[] consumers, Envelope envelope, OfferLimits limits, CancellationToken stop)
    {
        var targets = ArrayPool<Isolate>.Shared.Rent(consumers.Length);
        try
        {
            // Decide: pick every target and wait until each has room, handing nothing over yet.
            CancellationTokenSource? wait = null;
            try
            {
                for (var i = 0; i < consumers.Length; i++)
                {
                    var mailbox = (targets[i] = consumers[i].Route(envelope.Event)).Mailbox;
                    if (!consumers[i].IsFailed && mailbox.WhenFull == WhenFull.Block && mailbox.Count >= mailbox.Capacity)
                    {
                        wait ??= limits.CreateWaitSource();
                        await mailbox.WaitToWriteAsync(wait.Token).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (wait?.IsCancellationRequested == true)
            {
                return limits.WhyCancelled();
            }
            finally
            {
                wait?.Dispose();
            }

            // Commit: from here the event is accepted and every consumer gets its copy.
            CountHandedOn(1);
            var last = consumers.Length - 1;
            for (var i = 0; i < last; i++)
            {
                await consumers[i].SendToAsync(targets[i], envelope.WithEvent(envelope.Event.Clone()), stop).ConfigureAwait(false);
            }
            await consumers[last].SendToAsync(targets[last], envelope, stop).ConfigureAwait(false);
            return SendResult.Accepted;
        }
        finally
        {
            Array.Clear(targets, 0, consumers.Length);
            ArrayPool<Isolate>.Shared.Return(targets);
        }
    }

    private static async ValueTask FanOutAsync(IsolatePool[] consumers, Envelope envelope, CancellationToken stop)
    {
        var last = consumers.Length - 1;
        for (var i = 0; i < last; i++)
        {
            var copy = envelope.WithEvent(envelope.Event.Clone());
            await consumers[i].SendToAsync(consumers[i].Route(copy.Event), copy, stop).ConfigureAwait(false);
        }
        await consumers[last].SendToAsync(consumers[last].Route(envelope.Event), envelope, stop).ConfigureAwait(false);
    }
}

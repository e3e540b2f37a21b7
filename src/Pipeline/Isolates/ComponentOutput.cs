using System.Buffers;
using Pipeline.Components;

namespace Pipeline.Isolates;

/// <summary>
/// One output of a source or processor (the default one, or a named one such as <c>route_id.errors</c>) and the
/// pools that consume it. Fan-out happens here: every consumer gets its own event, copies for all but the last.
/// </summary>
public sealed class ComponentOutput
{
    private readonly ComponentCounters _producer;
    private IsolatePool[] _consumers = [];

    internal ComponentOutput(ComponentCounters producer, string? name)
    {
        _producer = producer;
        Name = name;
    }

    /// <summary>Null for the default output.</summary>
    public string? Name { get; }

    public IReadOnlyList<IsolatePool> Consumers => _consumers;

    /// <summary>Wiring only, before the topology starts.</summary>
    internal void AddConsumer(IsolatePool pool) => _consumers = [.. _consumers, pool];

    /// <summary>
    /// Hands an envelope to every consumer, waiting while a mailbox is full. Ownership of the event moves here.
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
    /// For sources: hands an envelope to every consumer, or to none. While any target mailbox is full it waits on
    /// <paramref name="wait"/> (the caller's token, the topology's stopping token and any deadline); if that is
    /// cancelled nothing was handed over and the caller still owns the event.
    /// </summary>
    /// <remarks>
    /// With several consumers the decision is made before the first hand-over: first every target isolate is
    /// chosen and waited on until it has room, then the copies are written. Another producer can take a slot
    /// between the two steps; the write then waits for room without the deadline, so an accepted event is never
    /// half-delivered, at the price of occasionally returning somewhat after the deadline.
    /// </remarks>
    internal async ValueTask<bool> OfferAsync(Envelope envelope, CancellationToken wait, CancellationToken stop)
    {
        var consumers = _consumers;
        if (consumers.Length == 0)
        {
            _producer.UnconsumedDrops.Inc();
            envelope.Event.Release();
            return true;
        }
        if (consumers.Length == 1)
        {
            var pool = consumers[0];
            var target = pool.Route(envelope.Event);
            while (!pool.TrySendTo(target, envelope))
            {
                if (!await target.Mailbox.WaitToWriteAsync(wait).ConfigureAwait(false))
                {
                    // Completed under us: only after the hard stop, and accounted by the pool as undrained.
                    await pool.SendToAsync(target, envelope, stop).ConfigureAwait(false);
                    return true;
                }
            }
            return true;
        }

        var targets = ArrayPool<Isolate>.Shared.Rent(consumers.Length);
        try
        {
            for (var i = 0; i < consumers.Length; i++)
            {
                targets[i] = consumers[i].Route(envelope.Event);
                if (!consumers[i].IsFailed && targets[i].Mailbox.WhenFull == Config.WhenFull.Block)
                {
                    await targets[i].Mailbox.WaitToWriteAsync(wait).ConfigureAwait(false);
                }
            }
            var last = consumers.Length - 1;
            for (var i = 0; i < last; i++)
            {
                await consumers[i].SendToAsync(targets[i], envelope.WithEvent(envelope.Event.Clone()), stop).ConfigureAwait(false);
            }
            await consumers[last].SendToAsync(targets[last], envelope, stop).ConfigureAwait(false);
            return true;
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

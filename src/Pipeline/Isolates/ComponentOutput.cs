using System.Buffers;
using Pipeline.Telemetry;

namespace Pipeline.Isolates;

/// <summary>
/// One output of a source or processor (the default one, or a named one such as <c>route_id.errors</c>) and the
/// pools that consume it. Fan-out happens here: every consumer gets its own event, copies for all but the last.
/// </summary>
/// <remarks>
/// One send path for every producer. A source waits within its limits (its deadline, the topology stopping); a
/// processor's isolate waits as long as it takes. Either way an event is handed to every consumer or to none: with
/// several consumers every target isolate is chosen and waited on until it has room before the first copy is
/// written. Another producer can take a slot between the two steps; the write then waits for room without the
/// limits, so an accepted event is never half-delivered, at the price of occasionally returning somewhat after a
/// deadline. The producer counts what it handed on (<see cref="CountHandedOn"/>), per batch where it can.
/// </remarks>
public sealed partial class ComponentOutput
{
    // Copy-on-write: a reload swaps in a new array while events flow, so SendAsync reads this one field once, with no
    // lock, and every send goes to one whole consumer list, the old or the new.
    private volatile IsolatePool[] _consumers = [];

    // pipeline_edge_events_total of the edge to each consumer, bound once at wiring. Every consumer gets every event
    // this output hands on (fan-out copies), so one count serves all edges; it is published at metrics collection.
    private volatile MetricCounter?[] _edges = [];
    private readonly Lock _rewiring = new();
    private long _handedOn;

    internal ComponentOutput(string? name) => Name = name;

    /// <summary>Null for the default output.</summary>
    public string? Name { get; }

    public IReadOnlyList<IsolatePool> Consumers => _consumers;

    /// <param name="edge">Counts the events handed along this edge; null when nothing counts them.</param>
    internal void AddConsumer(IsolatePool pool, MetricCounter? edge = null)
    {
        lock (_rewiring)
        {
            _edges = [.. _edges, edge];
            _consumers = [.. _consumers, pool];
        }
    }

    /// <summary>
    /// A reload's rewiring: from the next send on, events go to <paramref name="consumers"/> only. A send that read the
    /// old list finishes with it; a pool taken out forwards or dead-letters what arrives after it closed.
    /// </summary>
    internal void ReplaceConsumers(IReadOnlyList<IsolatePool> consumers, IReadOnlyList<MetricCounter?> edges)
    {
        lock (_rewiring)
        {
            _edges = [.. edges];
            _consumers = [.. consumers];
        }
    }

    /// <summary>The edge counter bound to <paramref name="pool"/>, if it consumes this output.</summary>
    internal MetricCounter? EdgeTo(IsolatePool pool)
    {
        lock (_rewiring)
        {
            var index = Array.IndexOf(_consumers, pool);
            return index < 0 ? null : _edges[index];
        }
    }

    /// <summary>
    /// Counts <paramref name="events"/> accepted by <see cref="SendAsync"/> on every edge of this output (each
    /// consumer got each of them). Isolates call it once per batch, so the hot path bumps no shared counter per event.
    /// </summary>
    internal void CountHandedOn(long events) => Interlocked.Add(ref _handedOn, events);

    /// <summary>
    /// A reload's replacement takes over the count of the output it replaces, so the edge counters it shares with it
    /// (same ids, same labels) go on rising instead of waiting for the new count to pass the old.
    /// </summary>
    internal void ContinueCountFrom(ComponentOutput replaced) => Interlocked.Exchange(ref _handedOn, Interlocked.Read(ref replaced._handedOn));

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
    /// Hands an envelope to every consumer, or to none. Ownership of the event moves here unless the result is
    /// <see cref="HandOffResult.Backpressure"/> or <see cref="HandOffResult.ShuttingDown"/>: then the caller still owns it.
    /// </summary>
    /// <param name="limits">How long the producer may wait for room.</param>
    /// <param name="hardStop">The hard stop after the shutdown timeout: an envelope still waiting then is counted undrained
    /// and dead-lettered by the consumer's pool.</param>
    internal ValueTask<HandOffResult> SendAsync(in Envelope envelope, OfferLimits limits, CancellationToken hardStop)
    {
        if (_taps is { } taps)
        {
            OfferToTaps(taps, envelope);
        }
        var consumers = _consumers;
        switch (consumers.Length)
        {
            case 0:
                envelope.Settle(Components.EventOutcome.Dropped);
                envelope.Event.Release();
                return new(HandOffResult.Unconsumed);
            case 1:
                var pool = consumers[0];
                var target = pool.Route(envelope.Event);
                return pool.TryAdmit(target, envelope) == Admission.Full
                    ? WaitThenAdmitAsync(pool, target, envelope, limits, hardStop)
                    : new(HandOffResult.Accepted);
            default:
                return FanOutAsync(consumers, envelope, limits, hardStop);
        }
    }

    private static async ValueTask<HandOffResult> WaitThenAdmitAsync(
        IsolatePool pool, Isolate target, Envelope envelope, OfferLimits limits, CancellationToken hardStop)
    {
        using var wait = limits.CreateWaitSource(hardStop);
        try
        {
            while (await pool.WaitForRoomAsync(target, wait?.Token ?? hardStop).ConfigureAwait(false))
            {
                if (pool.TryAdmit(target, envelope) != Admission.Full)
                {
                    return HandOffResult.Accepted;
                }
            }
        }
        catch (OperationCanceledException) when (!hardStop.IsCancellationRequested && wait?.IsCancellationRequested == true)
        {
            return limits.WhyCancelled();
        }
        catch (OperationCanceledException) when (hardStop.IsCancellationRequested)
        {
        }
        // The hard stop came, or closed the mailbox, while the envelope waited: it is counted where it was going.
        pool.AbandonUndrained(envelope);
        return HandOffResult.Accepted;
    }

    private static async ValueTask<HandOffResult> FanOutAsync(IsolatePool[] consumers, Envelope envelope, OfferLimits limits, CancellationToken hardStop)
    {
        var targets = ArrayPool<Isolate>.Shared.Rent(consumers.Length);
        try
        {
            // Decide: pick every target and wait until each has room, handing nothing over yet. After the hard stop
            // the commit below counts each copy undrained at its consumer.
            CancellationTokenSource? wait = null;
            try
            {
                for (var i = 0; i < consumers.Length; i++)
                {
                    var pool = consumers[i];
                    var target = targets[i] = pool.Route(envelope.Event);
                    if (!pool.HasRoom(target))
                    {
                        wait ??= limits.CreateWaitSource(hardStop);
                        await pool.WaitForRoomAsync(target, wait?.Token ?? hardStop).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (!hardStop.IsCancellationRequested && wait?.IsCancellationRequested == true)
            {
                return limits.WhyCancelled();
            }
            catch (OperationCanceledException) when (hardStop.IsCancellationRequested)
            {
            }
            finally
            {
                wait?.Dispose();
            }

            // Commit: from here the event is accepted and every consumer gets its copy, each settled on its own.
            var last = consumers.Length - 1;
            envelope.Ack?.AddCopies(envelope.Ticket, last);
            for (var i = 0; i < last; i++)
            {
                await consumers[i].AdmitAsync(targets[i], envelope.WithEvent(envelope.Event.Clone()), hardStop).ConfigureAwait(false);
            }
            await consumers[last].AdmitAsync(targets[last], envelope, hardStop).ConfigureAwait(false);
            return HandOffResult.Accepted;
        }
        finally
        {
            Array.Clear(targets, 0, consumers.Length);
            ArrayPool<Isolate>.Shared.Return(targets);
        }
    }
}

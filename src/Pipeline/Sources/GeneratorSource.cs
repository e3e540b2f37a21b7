using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Sources;

/// <summary>
/// Sends synthetic log events, cycling through payloads rendered once up front, so that per event it does nothing
/// but parse. Paced by a <see cref="TokenBucket"/> when a rate is set. Returns after <c>count</c> events, if set.
/// </summary>
public sealed class GeneratorSource : ISource
{
    // Tokens taken from the bucket at a time: big enough to amortize the clock read, small enough to stay smooth.
    private const int PacedChunk = 256;

    private readonly byte[][] _payloads;
    private readonly double _rate;
    private readonly long _count;
    private readonly TimeProvider _time;

    public GeneratorSource(byte[][] payloads, double rate, long count, TimeProvider time)
    {
        if (payloads.Length == 0)
        {
            throw new ArgumentException("expected at least one payload, found none", nameof(payloads));
        }
        _payloads = payloads;
        _rate = rate;
        _count = count;
        _time = time;
    }

    public async Task RunAsync(ISourceContext context, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(context);
        var bucket = _rate > 0 ? new TokenBucket(_rate, _time) : null;
        var next = 0;
        long sent = 0;
        try
        {
            while (!stopping.IsCancellationRequested && (_count == 0 || sent < _count))
            {
                var remaining = _count == 0 ? long.MaxValue : _count - sent;
                long due;
                if (bucket is null)
                {
                    due = remaining;
                }
                else
                {
                    due = bucket.Take(Math.Min(remaining, PacedChunk));
                    if (due == 0)
                    {
                        await Task.Delay(bucket.TimeUntilNextToken(), _time, stopping).ConfigureAwait(false);
                        continue;
                    }
                }
                for (long i = 0; i < due; i++)
                {
                    var evt = Event.Parse(_payloads[next]);
                    next = next + 1 == _payloads.Length ? 0 : next + 1;
                    if (!await context.SendAsync(evt, default(ActivityContext), stopping).ConfigureAwait(false))
                    {
                        return;
                    }
                    sent++;
                    if (bucket is null && stopping.IsCancellationRequested)
                    {
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }
}

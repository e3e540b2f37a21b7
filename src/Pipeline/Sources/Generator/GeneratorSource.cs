using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Sources.Generator;

[Component("generator", "Synthetic web-service log events, at a rate or as fast as possible, for demos and benchmarks.")]
public sealed class GeneratorSourceConfig : ISourceConfig
{
    private const int MaxDistinct = 1 << 20;
    private const double MaxRate = 10_000_000;

    /// <summary>The count of a switched-off generator: below the option's range, so no config can mean it.</summary>
    internal const long SendsNothing = -1;

    public enum EventShape
    {
        /// <summary>A structured log record, one JSON object.</summary>
        Object,

        /// <summary>The same record serialized into a <c>log</c> string, with <c>stream</c> and <c>time</c>, as Docker's json-file driver writes it.</summary>
        DockerJson,
    }

    [Option("Events per second, up to 10,000,000; 0 sends as fast as downstream takes them.", Example = "5000")]
    public double Rate { get; set; }

    [Option("How many events to send before the source finishes; 0 never finishes.", Example = "1000000")]
    public long Count { get; set; }

    [Option("What the events look like. object: a ~245-byte log record with timestamp, level, service, host, method, path, status, duration_ms, user (an email), request_id and message. docker_json: that record as a JSON string in a log field with stream and time, as container runtimes write it (for parse_json).",
        Example = "docker_json")]
    public EventShape Shape { get; set; } = EventShape.Object;

    [Option("Seed of the random generator. Set, the output is byte-for-byte reproducible and timestamps start at 2025-01-01T00:00:00Z; unset, they start now.",
        Example = "42")]
    public int? Seed { get; set; }

    [Option("How many distinct events are rendered up front and then cycled through; the generator then costs no more than parsing them.", Example = "1024")]
    public int Distinct { get; set; } = 4096;

    [Option("false: the source sends nothing and finishes at once. For a topology whose generator an environment variable switches off (the embedded default's demo: PIPELINE_DEMO=false).",
        Example = "false")]
    public bool Enabled { get; set; } = true;

    public ISourceFactory Build(ComponentContext context)
    {
        // Ten million a second is far past what one source sends (1-2 million measured); 0 already means "as fast as it goes".
        if (!double.IsFinite(Rate) || Rate < 0 || Rate > MaxRate)
        {
            throw new ComponentBuildException("rate", $"expected events per second between 0 and {MaxRate:N0} (0 = as fast as possible), found {Rate}");
        }
        if (Count < 0)
        {
            throw new ComponentBuildException("count", $"expected 0 (unlimited) or more, found {Count}");
        }
        if (Distinct is < 1 or > MaxDistinct)
        {
            throw new ComponentBuildException("distinct", $"expected between 1 and {MaxDistinct}, found {Distinct}");
        }
        if (!Enabled)
        {
            return new SourceFactory(() => new GeneratorSource([[]], 0, SendsNothing, TimeProvider.System));
        }
        return new SourceFactory(() =>
        {
            var seed = Seed ?? Random.Shared.Next();
            var epoch = Seed is null ? DateTime.UtcNow : SyntheticLogRecords.ReproducibleEpoch;
            var payloads = SyntheticLogRecords.Render(Shape, Distinct, seed, epoch);
            return new GeneratorSource(payloads, Rate, Count, TimeProvider.System);
        });
    }
}

/// <summary>
/// Sends synthetic log events, cycling through payloads rendered once up front, so that per event it does nothing
/// but parse. Paced by a <see cref="TokenBucket"/> when a rate is set. Returns after <c>count</c> events, if set.
/// </summary>
/// <param name="rate">Events per second; 0 sends as fast as downstream takes them.</param>
/// <param name="count">How many events to send before returning; 0 never returns; negative sends none.</param>
public sealed class GeneratorSource(byte[][] payloads, double rate, long count, TimeProvider time) : ISource
{
    // Tokens taken from the bucket at a time: big enough to amortize the clock read, small enough to stay smooth.
    private const int PacedChunk = 256;

    private readonly byte[][] _payloads = payloads.Length > 0
        ? payloads
        : throw new ArgumentException("expected at least one payload, found none", nameof(payloads));

    public async Task RunAsync(ISourceContext context, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (count < 0)
        {
            return;
        }
        var bucket = rate > 0 ? new TokenBucket(rate, time) : null;
        var next = 0;
        long sent = 0;
        try
        {
            while (!stopping.IsCancellationRequested && (count == 0 || sent < count))
            {
                var remaining = count == 0 ? long.MaxValue : count - sent;
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
                        await Task.Delay(bucket.TimeUntilNextToken(), time, stopping).ConfigureAwait(false);
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

using HdrHistogram;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// Wraps a stage's factory so every isolate's processor records its per-event time into its own HdrHistogram
/// (no sharing, no locks on the hot path). The runtime's own stage histograms arrive with the observability work;
/// until then the benchmark measures P95 per stage here.
/// </summary>
internal sealed class TimingProcessorFactory(IProcessorFactory inner) : IProcessorFactory
{
    private readonly List<LongHistogram> _histograms = [];

    public IReadOnlyList<string> NamedOutputs => inner.NamedOutputs;

    public bool HasDefaultOutput => inner.HasDefaultOutput;

    public IProcessor CreateForIsolate(int isolateIndex)
    {
        // Stopwatch ticks, up to one minute, 3 significant digits.
        var histogram = new LongHistogram(TimeSpan.TicksPerMinute * (System.Diagnostics.Stopwatch.Frequency / TimeSpan.TicksPerSecond), 3);
        lock (_histograms)
        {
            _histograms.Add(histogram);
        }
        return new TimingProcessor(inner.CreateForIsolate(isolateIndex), histogram);
    }

    /// <summary>The merged histogram of every isolate, in Stopwatch ticks.</summary>
    public LongHistogram Merged()
    {
        var merged = new LongHistogram(TimeSpan.TicksPerMinute * (System.Diagnostics.Stopwatch.Frequency / TimeSpan.TicksPerSecond), 3);
        lock (_histograms)
        {
            foreach (var h in _histograms)
            {
                merged.Add(h);
            }
        }
        return merged;
    }

    public void Reset()
    {
        lock (_histograms)
        {
            foreach (var h in _histograms)
            {
                h.Reset();
            }
        }
    }

    private sealed class TimingProcessor(IProcessor inner, LongHistogram histogram) : IProcessor
    {
        public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
        {
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            var pending = inner.ProcessAsync(evt, output, cancellationToken);
            if (pending.IsCompletedSuccessfully)
            {
                histogram.RecordValue(System.Diagnostics.Stopwatch.GetTimestamp() - start);
                return pending;
            }
            return AwaitAndRecordAsync(pending, start);
        }

        private async ValueTask AwaitAndRecordAsync(ValueTask pending, long start)
        {
            await pending.ConfigureAwait(false);
            histogram.RecordValue(System.Diagnostics.Stopwatch.GetTimestamp() - start);
        }
    }
}

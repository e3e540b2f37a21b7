namespace Pipeline.Telemetry;

/// <summary>
/// A component's metrics plus the error and discard counters the runtime bumps, bound once so the hot path never
/// builds a label array. The reason and error-type strings here are the ones users see as label values.
/// </summary>
public sealed class ComponentCounters
{
    /// <summary>Discard: a full mailbox under <c>when_full: drop_newest</c> dropped the offered event.</summary>
    public const string MailboxFull = "mailbox_full";

    /// <summary>Discard: a processor emitted nothing for an event (a filter or sample doing its job).</summary>
    public const string DroppedByProcessor = "dropped_by_processor";

    /// <summary>Discard: an event went to an output (typically a named one) that no component consumes.</summary>
    public const string OutputUnconsumed = "output_unconsumed";

    /// <summary>Error: one processing attempt of one event threw.</summary>
    public const string ProcessingFailed = "processing_failed";

    /// <summary>Error: one delivery attempt of one sink batch threw.</summary>
    public const string DeliveryFailed = "delivery_failed";

    /// <summary>Error: a sink's flush threw.</summary>
    public const string FlushFailed = "flush_failed";

    /// <summary>Error: an isolate's worker loop faulted and was handed to the supervisor.</summary>
    public const string IsolateCrashed = "isolate_crashed";

    /// <summary>Error: a source reported input that could not become an event.</summary>
    public const string InvalidInput = "invalid_input";

    /// <summary>Error: a source's run threw and was restarted.</summary>
    public const string SourceFailed = "source_failed";

    /// <summary>Error type: a source refused input before reading it (bytes or requests in flight, the memory limiter).</summary>
    public const string Refused = "refused";

    /// <summary>Error type: a request failed in the source itself (an HTTP 5xx).</summary>
    public const string RequestFailed = "request_failed";

    private readonly MetricCounter[] _errors;
    private readonly MetricCounter[] _discards;

    public ComponentCounters(ComponentMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        Metrics = metrics;
        // Only the combinations a component of this kind can produce are exported from the start (at 0); see
        // docs/observability.md, "Series per component". The others stay bound but unexported until they count.
        var (source, processor, sink) = (metrics.ComponentKind == "source", metrics.ComponentKind == "processor", metrics.ComponentKind == "sink");
        MailboxFullDrops = Bind(metrics.DiscardCounter(MailboxFull), processor || sink);
        ProcessorDrops = Bind(metrics.DiscardCounter(DroppedByProcessor), processor);
        UnconsumedDrops = Bind(metrics.DiscardCounter(OutputUnconsumed), source || processor);
        ProcessingFailures = Bind(metrics.ErrorCounter(ProcessingFailed), processor);
        DeliveryFailures = Bind(metrics.ErrorCounter(DeliveryFailed), sink);
        FlushFailures = Bind(metrics.ErrorCounter(FlushFailed), sink);
        Crashes = Bind(metrics.ErrorCounter(IsolateCrashed), processor || sink);
        InvalidInputs = Bind(metrics.ErrorCounter(InvalidInput), source);
        SourceFailures = Bind(metrics.ErrorCounter(SourceFailed), source);
        // Not exported before the first: only sources that can refuse (http) ever count them.
        Refusals = metrics.ErrorCounter(Refused);
        RequestFailures = metrics.ErrorCounter(RequestFailed);
        _errors = [ProcessingFailures, DeliveryFailures, FlushFailures, Crashes, InvalidInputs, SourceFailures];
        _discards = [MailboxFullDrops, ProcessorDrops, UnconsumedDrops];
    }

    public ComponentMetrics Metrics { get; }

    public string ComponentId => Metrics.ComponentId;

    public MetricCounter MailboxFullDrops { get; }

    public MetricCounter ProcessorDrops { get; }

    public MetricCounter UnconsumedDrops { get; }

    public MetricCounter ProcessingFailures { get; }

    public MetricCounter DeliveryFailures { get; }

    public MetricCounter FlushFailures { get; }

    public MetricCounter Crashes { get; }

    public MetricCounter InvalidInputs { get; }

    public MetricCounter SourceFailures { get; }

    public MetricCounter Refusals { get; }

    public MetricCounter RequestFailures { get; }

    /// <summary>Every error the runtime counted for this component, for the topology snapshot.</summary>
    public long ErrorsTotal => Sum(_errors);

    /// <summary>Every event the runtime discarded on purpose for this component.</summary>
    public long DiscardedTotal => Sum(_discards);

    private static MetricCounter Bind(MetricCounter counter, bool canOccur) => canOccur ? counter.Published() : counter;

    private static long Sum(MetricCounter[] counters)
    {
        double total = 0;
        foreach (var c in counters)
        {
            total += c.Value;
        }
        return (long)total;
    }
}

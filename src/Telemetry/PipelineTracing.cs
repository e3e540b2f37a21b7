using System.Diagnostics;
using System.Reflection;

namespace Pipeline.Telemetry;

/// <summary>
/// The pipeline's spans: one <see cref="ActivitySource"/> for all of them, the sampling decision made at ingest, and
/// a <see cref="ComponentTracer"/> per component that knows its span name and attributes. The runtime calls this;
/// components never start spans of their own.
/// </summary>
/// <remarks>
/// A span exists only for a sampled event: an unsampled one never reaches <see cref="ActivitySource.StartActivity(string, ActivityKind)"/>,
/// so it costs no Activity and no allocation. Whether anything records is up to the tracer provider
/// (<see cref="TracingSetup"/>): without one the source has no listener and no event is sampled, but every event
/// still gets a trace id for its logs and dead-letter record.
/// </remarks>
public sealed class PipelineTracing
{
    public static readonly ActivitySource Source = new(
        TelemetryNames.ActivitySourceName,
        typeof(PipelineTracing).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0");

    public PipelineTracing(string pipelineName, TraceSampler sampler)
    {
        ArgumentNullException.ThrowIfNull(pipelineName);
        ArgumentNullException.ThrowIfNull(sampler);
        PipelineName = pipelineName;
        Sampler = sampler;
    }

    public string PipelineName { get; }

    public TraceSampler Sampler { get; }

    /// <summary>
    /// The tracer of a source. HTTP ingest is a server span; a Kafka consumer's is a consumer span (OpenTelemetry's
    /// messaging conventions: it continues the producer's trace); a generator or stdin produces events, so a producer span.
    /// </summary>
    public ComponentTracer ForSource(string componentId, string componentType, bool receivesRequests, bool consumesMessages = false)
        => new(this, componentId, componentType, TelemetryNames.IngestSpanName(componentId),
            receivesRequests ? ActivityKind.Server : consumesMessages ? ActivityKind.Consumer : ActivityKind.Producer, TelemetryNames.ReceiveOperation);

    /// <summary>The tracer of a processor stage: its hops are internal spans (isolates are in-process).</summary>
    public ComponentTracer ForStage(string componentId, string componentType)
        => new(this, componentId, componentType, TelemetryNames.HopSpanName(componentId), ActivityKind.Internal, TelemetryNames.ProcessOperation);

    /// <summary>
    /// The tracer of a sink: a producer span per sampled event, and a batch span, client for sinks that deliver over
    /// the network, internal for the others.
    /// </summary>
    public ComponentTracer ForSink(string componentId, string componentType, bool deliversOverNetwork)
        => new(this, componentId, componentType, TelemetryNames.DeliverySpanName(componentId), deliversOverNetwork ? ActivityKind.Client : ActivityKind.Internal, TelemetryNames.SendOperation);

    /// <summary>A failed attempt that will be retried: a span event with the attempt, the error and the delay (seconds).</summary>
    public static void RecordRetry(Activity? span, int attempt, Exception error, TimeSpan delay)
    {
        if (span is null)
        {
            return;
        }
        span.AddEvent(new ActivityEvent(TelemetryNames.RetryEvent, tags: new ActivityTagsCollection
        {
            [TelemetryNames.AttemptAttribute] = attempt,
            [TelemetryNames.ErrorTypeAttribute] = error.GetType().FullName,
            ["exception.message"] = error.Message,
            [TelemetryNames.RetryDelayAttribute] = delay.TotalSeconds,
        }));
    }

    /// <summary>
    /// The exception an operation failed with for good: an <c>exception</c> span event (type, message, stack) and
    /// <c>error.type</c>, the exception's full type name, unless something more precise (an HTTP status) set it.
    /// </summary>
    public static void RecordException(Activity? span, Exception error)
    {
        if (span is null)
        {
            return;
        }
        span.AddException(error);
        if (span.GetTagItem(TelemetryNames.ErrorTypeAttribute) is null)
        {
            span.SetTag(TelemetryNames.ErrorTypeAttribute, error.GetType().FullName);
        }
    }

    /// <summary>
    /// An event given up on: a span event with the reason, the span's status becomes an error, and <c>error.type</c>
    /// is <c>dead_lettered</c> unless an exception (<see cref="RecordException"/>) already named it.
    /// </summary>
    public static void RecordDeadLetter(Activity? span, string reason, int attempts)
    {
        if (span is null)
        {
            return;
        }
        span.AddEvent(new ActivityEvent(TelemetryNames.DeadLetterEvent, tags: new ActivityTagsCollection
        {
            [TelemetryNames.ReasonAttribute] = reason,
            [TelemetryNames.AttemptAttribute] = attempts,
        }));
        span.SetStatus(ActivityStatusCode.Error, reason);
        if (span.GetTagItem(TelemetryNames.ErrorTypeAttribute) is null)
        {
            span.SetTag(TelemetryNames.ErrorTypeAttribute, TelemetryNames.DeadLetteredErrorType);
        }
    }

    /// <summary>An event dropped on purpose (a filter, a full mailbox under drop_newest): a span event with the reason.</summary>
    public static void RecordDrop(Activity? span, string reason)
        => span?.AddEvent(new ActivityEvent(TelemetryNames.DropEvent, tags: new ActivityTagsCollection { [TelemetryNames.ReasonAttribute] = reason }));

    /// <summary>
    /// The operation failed as a whole (a batch that could not be delivered, an event not accepted): status error,
    /// and <paramref name="errorType"/> as <c>error.type</c> unless one is set already.
    /// </summary>
    public static void RecordFailure(Activity? span, string errorType, string description)
    {
        if (span is null)
        {
            return;
        }
        span.SetStatus(ActivityStatusCode.Error, description);
        if (span.GetTagItem(TelemetryNames.ErrorTypeAttribute) is null)
        {
            span.SetTag(TelemetryNames.ErrorTypeAttribute, errorType);
        }
    }

    /// <summary>Where a file source read the event: the file (OpenTelemetry's log.file.path) and the line's offset.</summary>
    public static void RecordFileOrigin(Activity span, string filePath, long offset)
    {
        span.SetTag(TelemetryNames.LogFilePathAttribute, filePath);
        span.SetTag(TelemetryNames.FileOffsetAttribute, offset);
    }

    /// <summary>The answer an HTTP ingest span's event got (200 accepted, 429 backpressure, 503 shutting down).</summary>
    public static void RecordIngestStatus(Activity? span, int statusCode)
    {
        if (span?.GetTagItem(TelemetryNames.HttpRequestMethodAttribute) is not null)
        {
            span.SetTag(TelemetryNames.HttpResponseStatusCodeAttribute, statusCode);
        }
    }

    /// <summary>
    /// Ends a span and leaves <see cref="Activity.Current"/> empty, so nothing of this event reaches the next one
    /// handled on the same isolate loop (a child Activity the processor started and forgot included). For an
    /// unsampled event (no span) nothing was made current, and nothing is read: that path stays free.
    /// </summary>
    public static void End(Activity? span)
    {
        if (span is null)
        {
            return;
        }
        span.Stop();
        if (Activity.Current is not null)
        {
            Activity.Current = null;
        }
    }
}

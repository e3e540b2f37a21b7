using System.Diagnostics;

namespace Pipeline.Telemetry;

/// <summary>
/// One component's spans, with the span name and the constant attributes fixed once when the topology is built.
/// Every Start method returns null, and starts nothing, for an event that is not sampled.
/// </summary>
public sealed class ComponentTracer
{
    private readonly PipelineTracing _owner;
    private readonly string _spanName;
    private readonly ActivityKind _kind;
    private readonly string _operation;

    internal ComponentTracer(PipelineTracing owner, string componentId, string componentType, string spanName, ActivityKind kind, string operation)
    {
        _owner = owner;
        ComponentId = componentId;
        ComponentType = componentType;
        _spanName = spanName;
        _kind = kind;
        _operation = operation;
    }

    public string ComponentId { get; }

    public string ComponentType { get; }

    public ActivityKind Kind => _kind;

    /// <summary>
    /// The sampling decision for an event entering the pipeline, made here once. <paramref name="context"/> is what the
    /// envelope carries from now on: the ingest span's context when sampled (Recorded flag set); else the incoming
    /// context with the flag cleared (its trace id kept, as W3C asks); else nothing, and <paramref name="newTraceId"/>
    /// is the fresh trace id the event's logs and dead-letter record will carry.
    /// </summary>
    /// <returns>The ingest span, now <see cref="Activity.Current"/>; null when the event is not sampled.</returns>
    /// <param name="ambient">When a span was started: the Activity that was current before, for the caller to put back.</param>
    /// <remarks>
    /// The caller ends the span with <see cref="PipelineTracing.End"/> once the event was handed on, and then makes
    /// <paramref name="ambient"/> current again (a root span must not adopt whatever the caller had as its parent).
    /// An unsampled event leaves <see cref="Activity.Current"/> alone, so it costs the caller nothing to put back.
    /// </remarks>
    public Activity? StartIngest(in ActivityContext incoming, out ActivityContext context, out CompactTraceId newTraceId, out Activity? ambient)
    {
        ambient = null;
        var listening = PipelineTracing.Source.HasListeners();
        if (incoming.TraceId != default)
        {
            newTraceId = default;
            if (listening && _owner.Sampler.ShouldSample(incoming))
            {
                ambient = Activity.Current;
                var span = Start(incoming, _kind);
                if (span is not null)
                {
                    context = span.Context;
                    return span;
                }
            }
            context = (incoming.TraceFlags & ActivityTraceFlags.Recorded) == 0
                ? incoming
                : new ActivityContext(incoming.TraceId, incoming.SpanId, ActivityTraceFlags.None, incoming.TraceState, isRemote: true);
            return null;
        }
        newTraceId = CompactTraceId.CreateRandom();
        if (listening && _owner.Sampler.ShouldSampleRoot(newTraceId))
        {
            ambient = Activity.Current;
            if (ambient is not null)
            {
                Activity.Current = null;
            }
            var span = Start(default, _kind);
            if (span is not null)
            {
                // The span's own trace id wins: the draw above only decided that this new trace is sampled.
                newTraceId = default;
                context = span.Context;
                return span;
            }
        }
        context = default;
        return null;
    }

    /// <summary>The span of one event's hop through this stage, the child of the previous hop's span.</summary>
    /// <param name="parent">The envelope's trace context; nothing starts unless its Recorded flag is set.</param>
    public Activity? StartHop(in ActivityContext parent, int isolate, int attempt, long mailboxWaitTicks)
    {
        if ((parent.TraceFlags & ActivityTraceFlags.Recorded) == 0)
        {
            return null;
        }
        var span = Start(parent, _kind);
        if (span is null)
        {
            return null;
        }
        span.SetTag(TelemetryNames.IsolateAttribute, isolate);
        span.SetTag(TelemetryNames.AttemptAttribute, attempt);
        span.SetTag(TelemetryNames.MailboxWaitAttribute, (double)mailboxWaitTicks / Stopwatch.Frequency);
        return span;
    }

    /// <summary>
    /// The per-message span of one sampled event a sink delivers: a producer span, the child of the event's last hop,
    /// so every sampled event's trace ends in a delivery span of its own (the OpenTelemetry messaging pattern for
    /// batches). It becomes <see cref="Activity.Current"/>; <see cref="StartDelivery"/> or the caller replaces it.
    /// </summary>
    /// <param name="lastHop">The envelope's trace context; nothing starts unless its Recorded flag is set.</param>
    public Activity? StartSend(in ActivityContext lastHop, int isolate)
    {
        if ((lastHop.TraceFlags & ActivityTraceFlags.Recorded) == 0)
        {
            return null;
        }
        var span = Start(lastHop, ActivityKind.Producer);
        span?.SetTag(TelemetryNames.IsolateAttribute, isolate);
        return span;
    }

    /// <summary>
    /// The span of one batch delivery (a client span for a sink that delivers over the network, else internal), with
    /// a link to the per-message span of every sampled event in the batch. Its parent is the first of them, so a
    /// batch of one event is one unbroken trace and the sink's own logs during the delivery join an event's trace.
    /// It is <see cref="Activity.Current"/> while the sink runs; end it with <see cref="EndDelivery"/>.
    /// </summary>
    /// <param name="messages">The per-message spans (<see cref="StartSend"/>) of the batch; empty means nothing is started.</param>
    public Activity? StartDelivery(List<Activity> messages, int isolate, int batchSize)
    {
        if (messages.Count == 0)
        {
            return null;
        }
        var links = new ActivityLink[messages.Count];
        for (var i = 0; i < links.Length; i++)
        {
            links[i] = new ActivityLink(messages[i].Context);
        }
        var span = Start(messages[0].Context, _kind, links);
        if (span is null)
        {
            return null;
        }
        span.SetTag(TelemetryNames.IsolateAttribute, isolate);
        span.SetTag(TelemetryNames.BatchSizeAttribute, batchSize);
        span.SetTag(TelemetryNames.MessagingBatchMessageCountAttribute, batchSize);
        return span;
    }

    /// <summary>
    /// Ends a batch delivery: the batch span, then every per-message span with the batch's outcome (status and
    /// <c>error.type</c>), so each event's trace says whether its delivery succeeded. Clears <paramref name="messages"/>
    /// and leaves <see cref="Activity.Current"/> empty.
    /// </summary>
    public static void EndDelivery(Activity? batch, List<Activity> messages)
    {
        if (batch is not null)
        {
            batch.Stop();
            var error = batch.GetTagItem(TelemetryNames.ErrorTypeAttribute);
            foreach (var message in messages)
            {
                if (batch.Status != ActivityStatusCode.Unset && message.Status == ActivityStatusCode.Unset)
                {
                    message.SetStatus(batch.Status, batch.StatusDescription);
                }
                if (error is not null && message.GetTagItem(TelemetryNames.ErrorTypeAttribute) is null)
                {
                    message.SetTag(TelemetryNames.ErrorTypeAttribute, error);
                }
            }
        }
        foreach (var message in messages)
        {
            message.Stop();
        }
        messages.Clear();
        if (Activity.Current is not null)
        {
            Activity.Current = null;
        }
    }

    /// <summary>
    /// A sampled event's wait in this sink's disk buffer, recorded when the event is read back: a span from when it
    /// was written until now, with the buffer's id. After a restart the stored context continues the same trace.
    /// </summary>
    /// <returns>The context the event carries on: the wait span's when one was recorded, else <paramref name="parent"/>.</returns>
    public ActivityContext RecordBufferWait(in ActivityContext parent, DateTimeOffset writtenAt)
    {
        if ((parent.TraceFlags & ActivityTraceFlags.Recorded) == 0 || !PipelineTracing.Source.HasListeners())
        {
            return parent;
        }
        var ambient = Activity.Current;
        var span = Start(parent, ActivityKind.Internal, links: null, TelemetryNames.BufferWaitSpanName(ComponentId));
        if (span is null)
        {
            return parent;
        }
        span.SetStartTime(writtenAt.UtcDateTime);
        span.SetTag(TelemetryNames.BufferIdAttribute, ComponentId);
        span.Stop();
        Activity.Current = ambient;
        return span.Context;
    }

    private Activity? Start(in ActivityContext parent, ActivityKind kind, IEnumerable<ActivityLink>? links = null, string? name = null)
    {
        var span = PipelineTracing.Source.StartActivity(name ?? _spanName, kind, parent, tags: null, links);
        if (span is null || !span.IsAllDataRequested)
        {
            return span;
        }
        span.SetTag(TelemetryNames.PipelineNameAttribute, _owner.PipelineName);
        span.SetTag(TelemetryNames.MessagingSystemAttribute, TelemetryNames.MessagingSystem);
        span.SetTag(TelemetryNames.MessagingOperationTypeAttribute, _operation);
        span.SetTag(TelemetryNames.MessagingOperationNameAttribute, _operation);
        span.SetTag(TelemetryNames.MessagingDestinationNameAttribute, ComponentId);
        if (_operation == TelemetryNames.ReceiveOperation)
        {
            span.SetTag(TelemetryNames.SourceAttribute, ComponentId);
            span.SetTag(TelemetryNames.SourceTypeAttribute, ComponentType);
            if (kind == ActivityKind.Server)
            {
                HttpServerRequest.Current?.Tag(span);
            }
        }
        else
        {
            span.SetTag(TelemetryNames.StageAttribute, ComponentId);
            span.SetTag(TelemetryNames.StageTypeAttribute, ComponentType);
        }
        return span;
    }
}

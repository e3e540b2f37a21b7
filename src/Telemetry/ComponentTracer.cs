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

    internal ComponentTracer(PipelineTracing owner, string componentId, string componentType, string spanName, ActivityKind kind)
    {
        _owner = owner;
        ComponentId = componentId;
        ComponentType = componentType;
        _spanName = spanName;
        _kind = kind;
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
                var span = Start(incoming);
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
            var span = Start(default);
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
        var span = Start(parent);
        if (span is null)
        {
            return null;
        }
        span.SetTag(TelemetryNames.IsolateAttribute, isolate);
        span.SetTag(TelemetryNames.AttemptAttribute, attempt);
        span.SetTag(TelemetryNames.MailboxWaitAttribute, mailboxWaitTicks * 1000.0 / Stopwatch.Frequency);
        return span;
    }

    /// <summary>
    /// The span of one batch delivery: the child of the first sampled event's hop span (so it is recorded and lands in
    /// that event's trace), with a link to the hop span of every sampled event in the batch.
    /// </summary>
    /// <param name="links">The trace contexts of the sampled events of the batch; empty means nothing is started.</param>
    public Activity? StartDelivery(List<ActivityLink> links, int isolate, int batchSize)
    {
        if (links.Count == 0)
        {
            return null;
        }
        var span = Start(links[0].Context, links);
        if (span is null)
        {
            return null;
        }
        span.SetTag(TelemetryNames.IsolateAttribute, isolate);
        span.SetTag(TelemetryNames.BatchSizeAttribute, batchSize);
        return span;
    }

    private Activity? Start(in ActivityContext parent, IEnumerable<ActivityLink>? links = null)
    {
        var span = PipelineTracing.Source.StartActivity(_spanName, _kind, parent, tags: null, links);
        if (span is null || !span.IsAllDataRequested)
        {
            return span;
        }
        span.SetTag(TelemetryNames.PipelineNameAttribute, _owner.PipelineName);
        if (_kind is ActivityKind.Server or ActivityKind.Producer)
        {
            span.SetTag(TelemetryNames.SourceAttribute, ComponentId);
            span.SetTag(TelemetryNames.SourceTypeAttribute, ComponentType);
        }
        else
        {
            span.SetTag(TelemetryNames.StageAttribute, ComponentId);
            span.SetTag(TelemetryNames.StageTypeAttribute, ComponentType);
        }
        return span;
    }
}

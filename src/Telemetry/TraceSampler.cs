using System.Diagnostics;
using System.Globalization;

namespace Pipeline.Telemetry;

/// <summary>
/// The pipeline's sampling decision, made once per event at ingest; every later hop only reads the
/// <see cref="ActivityTraceFlags.Recorded"/> flag the event carries in its envelope. The rules are OpenTelemetry's
/// (the values of <c>OTEL_TRACES_SAMPLER</c>): <c>parentbased_traceidratio</c> (the default, ratio 0.01) honours an
/// incoming sampled flag and samples new traces by trace-id ratio.
/// </summary>
/// <remarks>
/// Why not the SDK's sampler: the SDK decides inside <see cref="ActivitySource.StartActivity(string, ActivityKind)"/>,
/// and for a new trace it first makes a trace id string, which would cost every unsampled event an allocation on the
/// hot path. Deciding here, on a <see cref="CompactTraceId"/>, costs nothing; the tracer provider then records every
/// span the pipeline starts (its sampler is ParentBased(AlwaysOn)). The ratio rule is the SDK's TraceIdRatioBased:
/// the first 8 bytes of the trace id, as a non-negative number, below ratio × <see cref="long.MaxValue"/>.
/// </remarks>
public sealed class TraceSampler
{
    /// <summary>The names <c>OTEL_TRACES_SAMPLER</c> and YAML <c>telemetry.traces.sampler</c> accept.</summary>
    public static readonly IReadOnlyList<string> Names =
        ["parentbased_traceidratio", "parentbased_always_on", "parentbased_always_off", "traceidratio", "always_on", "always_off"];

    public const double DefaultRatio = 0.01;

    private readonly long _upperBound;

    private TraceSampler(string name, bool parentBased, double ratio)
    {
        Name = name;
        ParentBased = parentBased;
        Ratio = ratio;
        _upperBound = ratio >= 1 ? long.MaxValue : (long)(ratio * long.MaxValue);
    }

    /// <summary>ParentBased(TraceIdRatioBased(0.01)).</summary>
    public static TraceSampler Default { get; } = new("parentbased_traceidratio", parentBased: true, DefaultRatio);

    public string Name { get; }

    /// <summary>True when an incoming context's sampled flag decides; false when the ratio decides for every event.</summary>
    public bool ParentBased { get; }

    /// <summary>The share of new traces that are sampled, 0 to 1.</summary>
    public double Ratio { get; }

    public string Description => string.Create(CultureInfo.InvariantCulture, $"{Name} (ratio {Ratio})");

    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="ratio">The ratio for the *traceidratio samplers; null for the default 0.01.</param>
    /// <exception cref="ArgumentException">Names the sampler or ratio that is wrong and what was expected.</exception>
    public static TraceSampler Create(string name, double? ratio)
    {
        if (ratio is { } r && !IsRatio(r))
        {
            throw new ArgumentException($"sampler ratio: expected a number from 0 to 1, found {r.ToString(CultureInfo.InvariantCulture)}", nameof(ratio));
        }
        return TryCreate(name, ratio, out var sampler)
            ? sampler
            : throw new ArgumentException($"sampler: expected one of {string.Join(", ", Names)}, found '{name}'", nameof(name));
    }

    /// <summary>False when <paramref name="name"/> is not one of <see cref="Names"/>.</summary>
    /// <param name="ratio">From 0 to 1, or null for the default 0.01; a wrong ratio counts as the default.</param>
    public static bool TryCreate(string name, double? ratio, out TraceSampler sampler)
    {
        ArgumentNullException.ThrowIfNull(name);
        var share = ratio is { } r && IsRatio(r) ? r : DefaultRatio;
        var normalized = name.Trim().ToLowerInvariant();
        sampler = normalized switch
        {
            "parentbased_traceidratio" => new(normalized, parentBased: true, share),
            "parentbased_always_on" => new(normalized, parentBased: true, 1),
            "parentbased_always_off" => new(normalized, parentBased: true, 0),
            "traceidratio" => new(normalized, parentBased: false, share),
            "always_on" => new(normalized, parentBased: false, 1),
            "always_off" => new(normalized, parentBased: false, 0),
            _ => null!,
        };
        return sampler is not null;
    }

    private static bool IsRatio(double ratio) => ratio is >= 0 and <= 1;

    /// <summary>The decision for an event that arrived with a trace context.</summary>
    public bool ShouldSample(in ActivityContext incoming)
        => ParentBased ? (incoming.TraceFlags & ActivityTraceFlags.Recorded) != 0 : RatioSays(CompactTraceId.From(incoming.TraceId));

    /// <summary>The decision for a new trace with the id the pipeline just gave it.</summary>
    public bool ShouldSampleRoot(CompactTraceId traceId) => RatioSays(traceId);

    private bool RatioSays(CompactTraceId traceId)
        => _upperBound == long.MaxValue || (_upperBound > 0 && (long)(traceId.High & long.MaxValue) < _upperBound);
}

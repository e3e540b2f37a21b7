namespace Pipeline.Telemetry;

/// <summary>The Prometheus type of a metric derived from events.</summary>
public enum DerivedMetricType
{
    Counter,
    Histogram,
    Gauge,
}

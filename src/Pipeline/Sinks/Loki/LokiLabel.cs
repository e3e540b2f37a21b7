using Pipeline.Processors;

namespace Pipeline.Sinks.Loki;

/// <summary>One configured stream label: its name (checked against Prometheus' label syntax) and its value's template.</summary>
internal sealed record LokiLabel(string Name, FieldTemplate Template);

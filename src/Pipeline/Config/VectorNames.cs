using Pipeline.Components;

namespace Pipeline.Config;

/// <summary>
/// Vector's names for what Pipeline names otherwise, so that a config written from Vector's documentation is met with
/// "did you mean" our name and a word on the difference, rather than only a list of what is expected.
/// </summary>
/// <remarks>
/// Only names that differ are here (Vector's file, stdin, http, filter, route, remap, sample, blackhole are ours too),
/// checked against Vector's reference (vector.dev/docs/reference/configuration). A spelling suggestion could not
/// find these: "console" is nowhere near "stdout".
/// </remarks>
internal static class VectorNames
{
    /// <summary>A Vector name's counterpart: the name to suggest (null when there is none) and what differs.</summary>
    public readonly record struct Counterpart(string? Ours, string Note);

    private static readonly Dictionary<string, Counterpart> TopLevelKeys = new(StringComparer.Ordinal)
    {
        ["transforms"] = new("stages", "Pipeline calls Vector's transforms stages"),
        ["api"] = new("admin", "Pipeline's admin server is Vector's api"),
    };

    private static readonly Dictionary<(ComponentKind, string), Counterpart> Types = new()
    {
        [(ComponentKind.Source, "http_server")] = new("http", "Vector's http_server source is Pipeline's http"),
        [(ComponentKind.Source, "demo_logs")] = new("generator", "Vector's demo_logs source is Pipeline's generator"),
        [(ComponentKind.Source, "kubernetes_logs")] = new("file", "Vector's kubernetes_logs is Pipeline's file source with format: cri, followed by a kubernetes stage"),
        [(ComponentKind.Sink, "console")] = new("stdout", "Vector's console sink is Pipeline's stdout"),
    };

    private static readonly Dictionary<(string Type, string Option), Counterpart> Options = new()
    {
        [("generator", "interval")] = new("rate", "Vector's interval is seconds between events; Pipeline's rate is events per second"),
        [("generator", "format")] = new("shape", "Vector's format is Pipeline's shape (object or docker_json)"),
        [("generator", "lines")] = new(null, "the generator renders its own records; Vector's lines has no counterpart"),
        [("route", "route")] = new("routes", "Pipeline names the route conditions routes"),
        [("remap", "source")] = new(null, "Pipeline's remap takes rename, copy and set instead of a VRL program; filter and route take conditions"),
        [("stdout", "encoding")] = new(null, "Pipeline's sinks always write JSON lines, so there is no encoding to choose"),
        [("file", "encoding")] = new(null, "Pipeline's sinks always write JSON lines, so there is no encoding to choose"),
        [("http", "encoding")] = new(null, "Pipeline's sinks always write JSON lines, so there is no encoding to choose"),
        [("http", "request")] = new("headers", "Vector's request.headers is Pipeline's headers"),
        [("loki", "out_of_order_action")] = new(null, "Loki 2.4 and later accept out-of-order entries within a stream's window, and the sink sorts each stream's entries of a request; an entry Loki still refuses is dead-lettered alone (docs/loki.md)"),
        [("loki", "request")] = new("headers", "Vector's request.headers is Pipeline's headers"),
    };

    public static Counterpart? TopLevelKey(string key) => TopLevelKeys.TryGetValue(key, out var counterpart) ? counterpart : null;

    public static Counterpart? Type(ComponentKind kind, string type) => Types.TryGetValue((kind, type), out var counterpart) ? counterpart : null;

    public static Counterpart? Option(string type, string option) => Options.TryGetValue((type, option), out var counterpart) ? counterpart : null;
}

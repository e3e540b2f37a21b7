using Pipeline.Processors;

namespace Pipeline.Components;

/// <summary>Every built-in component: one registration line each.</summary>
public static class BuiltInComponents
{
    public static ComponentCatalog Create() => new ComponentCatalog()
        // Sources
        // Processors
        .AddProcessor<ParseJsonOptions>("parse_json", "Parses a string field holding JSON into structure.", (o, ctx) => new ParseJsonFactory(o))
        .AddProcessor<FilterOptions>("filter", "Keeps the events that match a condition (docs/expressions.md).", (o, ctx) => new FilterFactory(o))
        .AddProcessor<RemapOptions>("remap", "Renames, copies, sets (with templates) and deletes fields.", (o, ctx) => new RemapFactory(o))
        .AddProcessor<RedactOptions>("redact", "Masks regex matches in string fields; presets for emails, bearer tokens and card numbers.", (o, ctx) => new RedactFactory(o))
        .AddProcessor<HashOptions>("hash", "Replaces fields with their SHA-256 digest (or writes it beside them).", (o, ctx) => new HashFactory(o))
        .AddProcessor<SampleOptions>("sample", "Keeps 1 event in N, optionally by a stable hash of a key field.", (o, ctx) => new SampleFactory(o))
        .AddProcessor<Processors.RouteOptions>("route", "Sends events to named outputs by condition, and to _unmatched when none matches.", (o, ctx) => new RouteFactory(o))
        .AddProcessor<DelayOptions>("delay", "Holds each event for a fixed or random time, to exercise latency metrics.", (o, ctx) => new DelayFactory(o))
        // Sinks
        ;
}

using Pipeline.Sinks;
using Pipeline.Sources;

namespace Pipeline.Components;

/// <summary>Every built-in component: one registration line each.</summary>
public static class BuiltInComponents
{
    public static ComponentCatalog Create() => new ComponentCatalog()
        // Sources
        .AddSource<HttpSourceOptions>("http", "Accepts POSTs of NDJSON or JSON (optionally gzip) on its own port; answers 429 under backpressure.", (o, ctx) => new HttpSourceFactory(o, ctx))
        .AddSource<StdinSourceOptions>("stdin", "Reads NDJSON from standard input and finishes at end of input.", (o, ctx) => new StdinSourceFactory(o, ctx))
        .AddSource<GeneratorSourceOptions>("generator", "Synthetic web-service log events, at a rate or as fast as possible, for demos and benchmarks.", (o, ctx) => new GeneratorSourceFactory(o, ctx))
        // Processors
        // Sinks
        .AddSink<StdoutSinkOptions>("stdout", "Writes events as JSON lines to standard output.", (o, ctx) => new StdoutSinkFactory(o, ctx))
        .AddSink<FileSinkOptions>("file", "Appends events as JSON lines to a file, rotated by size.", (o, ctx) => new FileSinkFactory(o, ctx))
        .AddSink<BlackholeSinkOptions>("blackhole", "Discards events; only the counters see them.", (o, ctx) => new BlackholeSinkFactory(o, ctx))
        .AddSink<HttpSinkOptions>("http", "POSTs each batch as NDJSON, optionally gzip; 4xx fail permanently, other failures are retried.", (o, ctx) => new HttpSinkFactory(o, ctx))
        ;
}

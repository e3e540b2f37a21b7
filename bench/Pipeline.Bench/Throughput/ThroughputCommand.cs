using System.Diagnostics;
using System.Globalization;
using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Telemetry;
using Pipeline.Topology;
using Serilog;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// The load driver: runs the reference topology generator -> parse_json -> filter -> remap -> blackhole to
/// completion at 1 and 2 isolates per stage and prints events/s, allocated bytes per event and P95 per stage;
/// then the hash stage's scaling from 1 to 2 isolates.
/// </summary>
internal static class ThroughputCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var events = ArgOr(args, "--events", 3_000_000);
        var hashEvents = ArgOr(args, "--hash-events", 400_000);
        var only = ArgOr(args, "--only", "all");
        var sampling = ArgOr(args, "--sampling", "off");
        double? ratio = sampling == "off" ? null : double.Parse(sampling, CultureInfo.InvariantCulture);
        Console.WriteLine($"# {Environment.ProcessorCount} cores, {RuntimeInformationText()}, Server GC: {System.Runtime.GCSettings.IsServerGC}");

        if (only is "all" or "e2e")
        {
            foreach (var isolates in new[] { 1, 2 })
            {
                await RunReferenceTopologyAsync(isolates, events / 4, ratio, print: false).ConfigureAwait(false); // warm-up: JIT and tiered PGO
                await RunReferenceTopologyAsync(isolates, events, ratio, print: true).ConfigureAwait(false);
            }
        }
        if (only is "all" or "hash")
        {
            await HashScaling.RunAsync(hashEvents).ConfigureAwait(false);
        }
        if (only == "delivery")
        {
            await DeliveryBenchmark.RunAsync(ArgOr(args, "--events", 500_000), ArgOr(args, "--replay-events", 1_000_000), ArgOr(args, "--clients", 16)).ConfigureAwait(false);
        }
        if (only == "kafka-sink")
        {
            await KafkaSinkBenchmark.RunAsync(ArgOr(args, "--events", 200_000), ArgOr(args, "--seconds", 30), ArgOr(args, "--runs", 2), ArgOr(args, "--sink-options", "")).ConfigureAwait(false);
        }
        if (only == "buffer-log")
        {
            BufferLogComparison.Run(ArgOr(args, "--records", 1_000_000));
        }
        if (only == "file-tail")
        {
            await FileTailBenchmark.RunAsync(ArgOr(args, "--events", 1_000_000), ArgOr(args, "--files", 1000), ArgOr(args, "--rate", 20_000), ArgOr(args, "--seconds", 15)).ConfigureAwait(false);
        }
        if (only is "all" or "logs")
        {
            LogEnrichment.Run(ArgOr(args, "--log-lines", 1_000_000));
        }
        return 0;
    }

    private static async Task RunReferenceTopologyAsync(int isolates, int events, double? samplingRatio, bool print)
    {
        var dataDir = Directory.CreateTempSubdirectory("pipeline-bench-");
        var yaml = $$"""
            name: bench
            data_dir: {{dataDir.FullName}}
            sources:
              gen:
                type: generator
                shape: docker_json
                count: {{events}}
                seed: 7
            stages:
              parse:
                type: parse_json
                inputs: [gen]
                field: .log
                target: .
                drop_source: true
                isolates: {{isolates}}
              filter:
                type: filter
                inputs: [parse]
                condition: '.status < 500 || .level == "error"'
                isolates: {{isolates}}
              remap:
                type: remap
                inputs: [filter]
                rename: { .duration_ms: .latency_ms }
                set: { .pipeline: "bench" }
                delete: [.host]
                isolates: {{isolates}}
            sinks:
              out:
                type: blackhole
                inputs: [remap]
                isolates: {{isolates}}
            """;
        var loaded = ConfigLoader.LoadYaml(yaml, "bench.yaml", BuiltInComponents.Create());
        var timers = new Dictionary<string, TimingProcessorFactory>();
        var config = WithTimedStages(loaded, timers);
        var metrics = PipelineMetrics.CreateIsolated();
        using var logger = new LoggerConfiguration().MinimumLevel.Warning().WriteTo.Console(standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose).CreateLogger();
        using var tracing = samplingRatio is { } ratio
            ? TracingSetup.Start(
                TracingConfiguration.Resolve(
                    new TracingOptions { Sampler = "parentbased_traceidratio", Ratio = ratio, MaxQueueSize = 65536, ScheduledDelay = TimeSpan.FromMilliseconds(200) },
                    _ => null,
                    []) ?? throw new InvalidOperationException("the bench's trace settings do not resolve"),
                metrics,
                new NoopSpanExporter())
            : null;

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var gcBefore = GC.CollectionCount(0);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();

        await using (var topology = RunningTopology.Build(config, metrics, logger, tracing?.ForPipeline(config.Name)))
        {
            await topology.StartAsync(CancellationToken.None).ConfigureAwait(false);
            await topology.Completion.ConfigureAwait(false);
            clock.Stop();
            await topology.StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            var delivered = topology.Snapshot().Nodes.Single(n => n.Id == "out").Sent;
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            if (print)
            {
                var seconds = clock.Elapsed.TotalSeconds;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"throughput isolates={isolates} events={events} delivered={delivered} seconds={seconds:F2} events_per_s={events / seconds:N0} alloc_bytes_per_event={(double)allocated / events:F0} cpu_s={cpu.TotalSeconds:F2} gen0_gcs={GC.CollectionCount(0) - gcBefore}"));
                if (tracing is not null)
                {
                    tracing.Flush(TimeSpan.FromSeconds(30));
                    var spans = await SpanCountsAsync(metrics).ConfigureAwait(false);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  tracing sampling={samplingRatio} spans_exported={spans.Exported} spans_dropped={spans.Dropped} traced_events_per_s={events * samplingRatio / seconds:N0}"));
                }
                foreach (var (stage, timer) in timers)
                {
                    var h = timer.Merged();
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  stage={stage} isolates={isolates} p50_us={Micros(h.GetValueAtPercentile(50)):F2} p95_us={Micros(h.GetValueAtPercentile(95)):F2} p99_us={Micros(h.GetValueAtPercentile(99)):F2}"));
                }
            }
        }
        dataDir.Delete(recursive: true);
    }

    private static PipelineConfig WithTimedStages(PipelineConfig config, Dictionary<string, TimingProcessorFactory> timers)
    {
        var components = config.Components.Select(c =>
        {
            if (c.Kind != ComponentKind.Processor)
            {
                return c;
            }
            var timed = new TimingProcessorFactory((IProcessorFactory)c.Factory);
            timers.Add(c.Id, timed);
            return new ComponentConfig
            {
                Id = c.Id,
                Kind = c.Kind,
                Descriptor = c.Descriptor,
                Options = c.Options,
                Factory = timed,
                Inputs = c.Inputs,
                Stage = c.Stage,
                Mark = c.Mark,
                OptionMarks = c.OptionMarks,
            };
        }).ToList();
        return new PipelineConfig
        {
            File = config.File,
            Name = config.Name,
            DataDirectory = config.DataDirectory,
            ShutdownTimeout = config.ShutdownTimeout,
            Admin = config.Admin,
            Components = components,
        };
    }

    private static async Task<(long Exported, long Dropped)> SpanCountsAsync(PipelineMetrics metrics)
    {
        using var stream = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(stream).ConfigureAwait(false);
        long exported = 0, dropped = 0;
        foreach (var line in System.Text.Encoding.UTF8.GetString(stream.ToArray()).Split('\n'))
        {
            if (line.StartsWith("pipeline_telemetry_exported_total{signal=\"spans\"}", StringComparison.Ordinal))
            {
                exported = (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("pipeline_telemetry_dropped_total{signal=\"spans\"}", StringComparison.Ordinal))
            {
                dropped = (long)double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }
        return (exported, dropped);
    }

    internal static double Micros(long stopwatchTicks) => stopwatchTicks * 1_000_000.0 / Stopwatch.Frequency;

    private static string RuntimeInformationText() => System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription;

    internal static int ArgOr(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    internal static string ArgOr(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }
}

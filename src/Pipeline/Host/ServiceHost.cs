using System.Runtime.InteropServices;
using Pipeline.Config;
using Pipeline.Telemetry;
using Pipeline.Topology;
using Prometheus;
using Serilog;

namespace Pipeline.Host;

/// <summary>
/// Runs a validated topology as a service: admin endpoints on Kestrel, sources started, graceful drain on
/// SIGTERM or Ctrl-C. Returns the process exit code: 0 when everything accepted was delivered or dead-lettered,
/// 1 when the drain timed out with events left behind.
/// </summary>
public static class ServiceHost
{
    public static async Task<int> RunAsync(PipelineConfig config, CancellationToken cancellationToken)
    {
        // A stdout sink owns standard output: the service's own logs then go to standard error, so the event stream
        // stays one clean JSON-lines document that a downstream reader can parse.
        var stdoutSinkConfigured = config.Sinks.Any(s => s.Type == "stdout");
        await using var logger = LoggingSetup.CreateJsonConsoleLogger(toStandardError: stdoutSinkConfigured);
        Log.Logger = logger;
        // The default registry also carries prometheus-net's process and GC-collection metrics and the other meters
        // (Kestrel's); RuntimeMetrics adds GC pause, heap and thread-pool figures under promtool-clean names.
        RuntimeMetrics.ConfigureDefaultRegistry();
        var metrics = new PipelineMetrics(Metrics.DefaultRegistry);

        TracingConfiguration tracingConfiguration;
        try
        {
            tracingConfiguration = TracingConfiguration.Resolve(config.Traces.ToTracingOptions(), Environment.GetEnvironmentVariable);
        }
        catch (ArgumentException ex)
        {
            logger.Error("{ConfigFile}: {Error}", config.File, ex.Message);
            return 1;
        }
        using var tracing = TracingSetup.Start(tracingConfiguration, metrics);
        if (tracingConfiguration.Exports)
        {
            logger.Information("Tracing: spans go to {Endpoint} over OTLP {Protocol}; sampler {Sampler}; service.name {ServiceName}",
                tracingConfiguration.Endpoint, tracingConfiguration.Protocol, tracingConfiguration.Sampler.Description, tracingConfiguration.ServiceName);
        }
        else
        {
            logger.Information("Tracing: no exporter configured (telemetry.traces or OTEL_EXPORTER_OTLP_ENDPOINT), so no span is recorded; logs still carry trace ids");
        }

        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => RequestStop(ctx, stopping, logger, "SIGTERM"));
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => RequestStop(ctx, stopping, logger, "SIGINT"));

        await using var topology = RunningTopology.Build(config, metrics, logger, tracing.ForPipeline(config.Name));
        await using var admin = await AdminServer.StartAsync(config.AdminAddress, topology, metrics, logger, stopping.Token).ConfigureAwait(false);
        await topology.StartAsync(stopping.Token).ConfigureAwait(false);

        logger.Information(
            "Pipeline {PipelineName} running from {ConfigFile}: {Sources} sources, {Stages} stages, {Sinks} sinks. Admin: {AdminUrls} (/healthz /readyz /metrics /topology)",
            config.Name, config.File, config.Sources.Count(), config.Stages.Count(), config.Sinks.Count(), string.Join(", ", admin.Addresses));

        var stopRequested = Task.Delay(Timeout.Infinite, stopping.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        var finished = await Task.WhenAny(stopRequested, topology.Completion).ConfigureAwait(false);
        if (finished == topology.Completion)
        {
            logger.Information("Every source finished; the pipeline drained and stops");
        }

        var report = await topology.StopAsync(config.ShutdownTimeout).ConfigureAwait(false);
        if (!report.Drained)
        {
            logger.Error(
                "Shutdown timed out after {ShutdownTimeout}: undrained events by stage {@Undrained}",
                config.ShutdownTimeout, report.Undrained);
            return 1;
        }
        logger.Information("Shutdown complete: every accepted event was delivered or dead-lettered ({DeadLettered} dead-lettered)", report.DeadLettered);
        return 0;
    }

    private static void RequestStop(PosixSignalContext context, CancellationTokenSource stopping, Serilog.ILogger logger, string signal)
    {
        // Cancel the default termination: the drain decides when the process exits.
        context.Cancel = true;
        if (!stopping.IsCancellationRequested)
        {
            logger.Information("{Signal} received: stopping sources and draining", signal);
            stopping.Cancel();
        }
    }
}

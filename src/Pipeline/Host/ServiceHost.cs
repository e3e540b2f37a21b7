using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Pipeline.Config;
using Pipeline.Isolates;
using Pipeline.Security;
using Pipeline.Telemetry;
using Pipeline.Telemetry.Logging;
using Pipeline.Topology;
using Prometheus;
using Serilog;

namespace Pipeline.Host;

/// <summary>
/// Runs a validated topology as a service: admin endpoints on Kestrel, sources started, graceful drain on
/// SIGTERM or Ctrl-C. Returns the process exit code (<see cref="ExitCodes"/>): 0 when everything accepted was delivered
/// or dead-lettered, 1 when the drain timed out with events left behind, when everything taken in was dead-lettered, or
/// when the admin address is taken; 78 when an environment setting is bad.
/// </summary>
public static class ServiceHost
{
    public static Task<int> RunAsync(PipelineConfig config, CancellationToken cancellationToken, bool watchConfig = false)
        => RunAsync(config, LogFormat.Json, cancellationToken, watchConfig);

    /// <param name="format">How the console log lines look; every line the service writes is one, start-up failures included.</param>
    /// <param name="watchConfig">
    /// <c>run --watch-config</c>: the config file is read every second and a change is reloaded as SIGHUP reloads it.
    /// </param>
    public static async Task<int> RunAsync(PipelineConfig config, LogFormat format, CancellationToken cancellationToken, bool watchConfig = false)
    {
        // Before anything touches the default metrics registry: which of prometheus-net's default collectors it gets.
        RuntimeMetrics.ConfigureDefaultRegistry();
        // A stdout sink owns standard output: the service's own logs then go to standard error, so the event stream
        // stays one clean JSON-lines document that a downstream reader can parse.
        var stdoutSinkConfigured = config.Sinks.Any(s => s.Type == "stdout");
        // The loader validated these settings against the same environment; a failure here means it changed since.
        var settingErrors = new List<SettingError>();
        LoggingSetup.LevelSwitch.MinimumLevel = config.Logs.ResolveLevel(Environment.GetEnvironmentVariable, out var levelError);
        if (levelError is not null)
        {
            settingErrors.Add(levelError);
        }
        var shipping = config.Logs.ResolveShipping(Environment.GetEnvironmentVariable, settingErrors);
        var tracingConfiguration = TracingConfiguration.Resolve(config.Traces.ToTracingOptions(), Environment.GetEnvironmentVariable, settingErrors);
        if (settingErrors.Count > 0 || tracingConfiguration is null)
        {
            using var startup = LoggingSetup.CreateStartupLogger(format, Console.Error);
            foreach (var error in settingErrors)
            {
                startup.Error("{ConfigFile}: error: {Error}", config.File, error.ToString());
            }
            return ExitCodes.ConfigError;
        }
        await using var logger = LoggingSetup.CreateServiceLogger(shipping, LogExportCounters.Default, toStandardError: stdoutSinkConfigured, format);
        Log.Logger = logger;
        // The default registry also carries prometheus-net's process and GC-collection metrics, and the libraries'
        // meters (Kestrel's, the HTTP client's); RuntimeMetrics adds GC pause, heap and thread-pool figures.
        var metrics = new PipelineMetrics(Metrics.DefaultRegistry);
        using var libraryMeters = MeterMetrics.Start(Metrics.DefaultRegistry);
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
        // Until the topology runs, SIGHUP re-reads only the log level, as it always did; then it reloads the topology too.
        TopologyReloader? reloader = null;
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx =>
        {
            // Cancel the default action, which for SIGHUP is to terminate.
            ctx.Cancel = true;
            if (Volatile.Read(ref reloader) is { } ready)
            {
                _ = ready.ReloadAsync("SIGHUP");
            }
            else
            {
                ReloadLogLevel(config.File, logger);
            }
        });

        using var memoryLimiter = MemoryLimiter.Start(config.MemoryLimiter, logger, metrics.MemoryLimiter);
        // A stop may arrive while the topology is built or started (a large pool, a disk buffer recovering its
        // segments): building gives up between components and isolates, starting stops starting, and what did start
        // drains below as on any stop. Before anything started there is nothing to drain.
        RunningTopology built;
        try
        {
            built = RunningTopology.Build(config, metrics, logger, tracing.ForPipeline(config.Name), memoryLimiter, stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return StartUpInterrupted(logger, "while the topology was built");
        }
        await using var topology = built;
        using var topologyReloader = new TopologyReloader(topology, BuiltInComponents.Create(), metrics.ForReloads(config.Name), logger);
        AdminServer startedAdmin;
        try
        {
            startedAdmin = await AdminServer.StartAsync(config.Admin, topology, metrics, logger, stopping.Token, reloader: topologyReloader).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return StartUpInterrupted(logger, "while the admin server started");
        }
        catch (IOException e) when (e.InnerException is AddressInUseException)
        {
            // Expected on a shared machine (9464 is also the OpenTelemetry Prometheus exporter's default), so one line that
            // says what to change, not a stack trace. A failure, not a config error: the config is valid, and the port may
            // free up (an old instance still draining), so a supervisor's restart can succeed.
            logger.Error(
                "Cannot start: the admin address {AdminAddress} is already in use by another process. Choose another with --admin-address, the PIPELINE_ADMIN_ADDRESS environment variable, or admin.address in {ConfigFile} (port 0 picks a free one)",
                config.Admin.Address, config.File);
            return ExitCodes.Failure;
        }
        await using var admin = startedAdmin;
        var started = Stopwatch.GetTimestamp();
        await topology.StartAsync(stopping.Token).ConfigureAwait(false);
        if (!topology.StartedCompletely)
        {
            logger.Information("Stop requested during start-up (while the isolates and sources started): draining what was started, then exiting");
            return await DrainAsync(topology, config, logger, started).ConfigureAwait(false);
        }
        Volatile.Write(ref reloader, topologyReloader);
        using var watcher = watchConfig && config.File != ConfigLoader.EmbeddedDefaultName
            ? new PolledFiles([config.File], () => _ = topologyReloader.ReloadAsync("--watch-config"))
            : null;
        if (watchConfig && watcher is null)
        {
            logger.Warning("--watch-config: the embedded default config has no file to watch; nothing is reloaded");
        }

        foreach (var warning in config.Warnings)
        {
            logger.Warning("Config warning: {Warning:l}", warning.ToString());
        }
        logger.Information(
            "Pipeline {PipelineName} running from {ConfigFile}: {Components}. Admin: {AdminUrls} (/healthz /readyz /metrics /topology)",
            config.Name, config.File, config.ComponentCounts, string.Join(", ", admin.Addresses));

        using var progressStop = new CancellationTokenSource();
        var progress = RunProgress.IsFinite(config)
            ? RunProgress.ReportAsync(topology.Totals, logger, TimeProvider.System, progressStop.Token)
            : Task.CompletedTask;
        var stopRequested = Task.Delay(Timeout.Infinite, stopping.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        var finished = await Task.WhenAny(stopRequested, topology.Completion).ConfigureAwait(false);
        if (finished == topology.Completion)
        {
            logger.Information("Every source finished; the pipeline drained and stops");
        }
        await progressStop.CancelAsync().ConfigureAwait(false);
        await progress.ConfigureAwait(false);

        Volatile.Write(ref reloader, null);
        return await DrainAsync(topology, config, logger, started).ConfigureAwait(false);
    }

    /// <summary>Nothing had started when the stop arrived, so nothing needs draining: the exit code of a clean stop.</summary>
    private static int StartUpInterrupted(Serilog.ILogger logger, string step)
    {
        logger.Information("Stop requested during start-up ({Step}): nothing had started, so nothing to drain; exiting", step);
        return 0;
    }

    /// <summary>
    /// Stops the sources and drains every stage to the sinks; the process's exit code: 1 when the drain timed out or
    /// when everything the run took in was dead-lettered (a batch job that did nothing useful must not look successful).
    /// </summary>
    private static async Task<int> DrainAsync(RunningTopology topology, PipelineConfig config, Serilog.ILogger logger, long started)
    {
        var report = await topology.StopAsync(config.ShutdownTimeout).ConfigureAwait(false);
        if (!report.Drained)
        {
            logger.Error(
                "Shutdown timed out after {ShutdownTimeout}: undrained events by stage {@Undrained}",
                config.ShutdownTimeout, report.Undrained);
            return 1;
        }
        logger.Information("Shutdown complete: every accepted event was delivered or dead-lettered ({DeadLettered} dead-lettered)", report.DeadLettered);
        return RunProgress.Finish(topology.Totals(), topology.FirstDeadLetterReason, topology.DeadLetterPath, RunProgress.Since(started), logger);
    }

    /// <summary>
    /// SIGHUP re-reads the log level (YAML <c>telemetry.logs.level</c>, else PIPELINE_LOG_LEVEL, else information) and
    /// applies it; nothing else of the config is reloaded. A file that no longer loads leaves the level as it was.
    /// </summary>
    internal static void ReloadLogLevel(string configFile, Serilog.ILogger logger)
    {
        try
        {
            // The CLI runs the built-in catalog; the file is re-read only for its telemetry.logs section.
            var logs = configFile == ConfigLoader.EmbeddedDefaultName
                ? new LogsSettings()
                : ConfigLoader.LoadFile(configFile, BuiltInComponents.Create()).Logs;
            var level = logs.ResolveLevel(Environment.GetEnvironmentVariable, out var error);
            if (error is not null)
            {
                logger.Warning("SIGHUP received: {Error}; log level stays {LogLevel}", error.ToString(), LogLevelNames.Name(LoggingSetup.LevelSwitch.MinimumLevel));
                return;
            }
            LoggingSetup.ChangeLevel(level, logger, "SIGHUP (reloaded from " + configFile + ")");
        }
        catch (Exception e) when (e is ConfigException or IOException or UnauthorizedAccessException)
        {
            logger.Warning("SIGHUP received but {ConfigFile} does not load, so the log level stays {LogLevel}: {Error}", configFile, LogLevelNames.Name(LoggingSetup.LevelSwitch.MinimumLevel), e.Message);
        }
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

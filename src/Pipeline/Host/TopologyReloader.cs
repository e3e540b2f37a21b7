using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Telemetry;
using Pipeline.Telemetry.Logging;
using Pipeline.Topology;

namespace Pipeline.Host;

/// <summary>
/// Re-reads the running config's file and applies it to the running topology: SIGHUP, <c>run --watch-config</c> and
/// <c>POST /reload</c> all come here. An invalid file, or one that changes a setting read only at start-up, is rejected
/// with its errors and the old topology keeps running. The log level is applied whenever the file loads, as SIGHUP
/// always did. One reload at a time; a stop in progress wins.
/// </summary>
public sealed class TopologyReloader : IDisposable
{
    private readonly RunningTopology _topology;
    private readonly ComponentCatalog _catalog;
    private readonly ReloadInstruments _instruments;
    private readonly Serilog.ILogger _logger;
    private readonly IReadOnlyDictionary<string, string>? _environment;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    /// <param name="environment">Variables for <c>${VAR}</c> interpolation; null means the process environment.</param>
    public TopologyReloader(
        RunningTopology topology, ComponentCatalog catalog, ReloadInstruments instruments, Serilog.ILogger logger,
        IReadOnlyDictionary<string, string>? environment = null, TimeProvider? time = null)
    {
        _topology = topology;
        _catalog = catalog;
        _instruments = instruments;
        _logger = logger;
        _environment = environment;
        _time = time ?? TimeProvider.System;
        _instruments.Started(_time.GetUtcNow());
    }

    /// <summary>The file a reload re-reads; the embedded default has none.</summary>
    public string ConfigFile => _topology.Config.File;

    /// <param name="trigger">What asked for it, for the log: SIGHUP, --watch-config, POST /reload.</param>
    public async Task<ReloadAnswer> ReloadAsync(string trigger)
    {
        await _oneAtATime.WaitAsync().ConfigureAwait(false);
        try
        {
            return await ReloadCoreAsync(trigger).ConfigureAwait(false);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    public void Dispose() => _oneAtATime.Dispose();

    private async Task<ReloadAnswer> ReloadCoreAsync(string trigger)
    {
        var running = _topology.Config;
        if (_topology.IsStopping)
        {
            _logger.Information("{Trigger}: reload ignored, the pipeline is stopping", trigger);
            return ReloadAnswer.Refused(ReloadAnswer.StoppingResult, ["the pipeline is stopping; a stop wins over a reload"]);
        }
        if (running.File == ConfigLoader.EmbeddedDefaultName)
        {
            ServiceHost.ReloadLogLevel(running.File, _logger);
            return ReloadAnswer.Refused(ReloadAnswer.NoFileResult,
                ["the pipeline runs the embedded default config, which has no file to re-read; run with --config FILE to reload its topology"]);
        }
        PipelineConfig next;
        try
        {
            next = ConfigLoader.LoadFile(running.File, _catalog, _environment);
        }
        catch (ConfigException e)
        {
            return Reject(trigger, running.File, [.. e.Errors.Select(error => error.ToString())]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Reject(trigger, running.File, [$"{running.File}: cannot read the config file: {e.Message}"]);
        }
        ApplyLogLevel(next, trigger);

        var diff = TopologyDiff.Between(running, next);
        var restart = diff.RestartRequired(running, next);
        if (restart.Count > 0)
        {
            return Reject(trigger, running.File, restart);
        }
        if (diff.ChangesNothing)
        {
            _instruments.Reloaded(ReloadInstruments.Unchanged, _time.GetUtcNow());
            _logger.Information("{Trigger}: {ConfigFile} reloaded; the topology is unchanged ({Unchanged} components)", trigger, running.File, diff.Unchanged.Count);
            return Answer(ReloadAnswer.UnchangedResult, diff);
        }
        bool applied;
        try
        {
            applied = await _topology.ApplyAsync(next, diff).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ComponentBuildException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return Reject(trigger, running.File, [$"{running.File}: a new component failed to start: {e.Message}"]);
        }
        if (!applied)
        {
            _logger.Information("{Trigger}: reload abandoned, the pipeline is stopping", trigger);
            return ReloadAnswer.Refused(ReloadAnswer.StoppingResult, ["the pipeline is stopping; a stop wins over a reload"]);
        }
        _instruments.Reloaded(ReloadInstruments.Applied, _time.GetUtcNow());
        _logger.Information(
            "{Trigger}: {ConfigFile} reloaded and applied: added {Added}, removed {Removed}, changed {Changed}, unchanged {Unchanged}",
            trigger, running.File, diff.Added, diff.Removed, diff.Changed, diff.Unchanged);
        return Answer(ReloadAnswer.AppliedResult, diff);
    }

    private ReloadAnswer Reject(string trigger, string file, IReadOnlyList<string> errors)
    {
        _instruments.Reloaded(ReloadInstruments.Rejected, _time.GetUtcNow());
        _logger.Error("{Trigger}: {ConfigFile} rejected, the running topology stays as it was: {Errors}", trigger, file, errors);
        return ReloadAnswer.Refused(ReloadAnswer.RejectedResult, errors);
    }

    private void ApplyLogLevel(PipelineConfig next, string trigger)
    {
        var level = next.Logs.ResolveLevel(name => _environment is null ? Environment.GetEnvironmentVariable(name) : _environment.GetValueOrDefault(name), out var error);
        if (error is not null)
        {
            _logger.Warning("{Trigger}: {Error}; log level stays {LogLevel}", trigger, error.ToString(), LogLevelNames.Name(LoggingSetup.LevelSwitch.MinimumLevel));
            return;
        }
        if (level != LoggingSetup.LevelSwitch.MinimumLevel)
        {
            LoggingSetup.ChangeLevel(level, _logger, trigger + " (reloaded from " + next.File + ")");
        }
    }

    private static ReloadAnswer Answer(string result, TopologyDiff diff) => new(result, diff.Added, diff.Removed, diff.Changed, diff.Unchanged, []);
}

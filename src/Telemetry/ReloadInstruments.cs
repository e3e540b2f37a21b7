namespace Pipeline.Telemetry;

/// <summary>
/// The topology reload counters of one pipeline, bound once: every result's series is exported at 0 from the start,
/// so an alert on the rate of <c>rejected</c> sees the first one.
/// </summary>
public sealed class ReloadInstruments
{
    public const string Applied = "applied";
    public const string Rejected = "rejected";
    public const string Unchanged = "unchanged";

    private readonly PipelineMetrics _owner;
    private readonly string _pipeline;

    internal ReloadInstruments(PipelineMetrics owner, string pipeline)
    {
        _owner = owner;
        _pipeline = pipeline;
        foreach (var result in (string[])[Applied, Rejected, Unchanged])
        {
            owner.ConfigReloads.WithLabels(pipeline, result).Publish();
        }
    }

    /// <summary>The config loaded at start-up: the last success so far.</summary>
    public void Started(DateTimeOffset now) => _owner.ConfigLastReloadSuccess.WithLabels(_pipeline).Set(now.ToUnixTimeSeconds());

    /// <summary>A reload that ended with <paramref name="result"/>: <see cref="Applied"/>, <see cref="Rejected"/> or <see cref="Unchanged"/>.</summary>
    public void Reloaded(string result, DateTimeOffset now)
    {
        _owner.ConfigReloads.WithLabels(_pipeline, result).Inc();
        if (result != Rejected)
        {
            _owner.ConfigLastReloadSuccess.WithLabels(_pipeline).Set(now.ToUnixTimeSeconds());
        }
    }

    /// <summary>Reloads so far with <paramref name="result"/>; for tests and the admin answer.</summary>
    public long Count(string result) => (long)_owner.ConfigReloads.WithLabels(_pipeline, result).Value;
}

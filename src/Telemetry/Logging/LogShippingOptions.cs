using Serilog.Configuration;

namespace Pipeline.Telemetry.Logging;

/// <summary>
/// Which shippers run (a null one is off, the default) and the batching both share. The host resolves it from
/// <c>telemetry.logs</c> and the environment.
/// </summary>
public sealed class LogShippingOptions
{
    public OtlpLogOptions? Otlp { get; init; }

    public ElasticsearchLogOptions? Elasticsearch { get; init; }

    public required LogServiceIdentity Service { get; init; }

    /// <summary>Events per OTLP export or bulk request.</summary>
    public int BatchSizeLimit { get; init; } = 1000;

    /// <summary>The longest an event waits for its batch to fill.</summary>
    public TimeSpan BufferingTimeLimit { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Events queued or in flight per shipper; beyond it new events are dropped and counted, never waited for.</summary>
    public int QueueLimit { get; init; } = 10_000;

    /// <summary>How long a failing batch is retried (with Serilog's growing backoff) before it is dropped and counted.</summary>
    public TimeSpan RetryTimeLimit { get; init; } = TimeSpan.FromMinutes(1);

    public bool Enabled => Otlp is not null || Elasticsearch is not null;

    internal BatchingOptions ToBatchingOptions()
    {
        var options = new BatchingOptions();
        ApplyTo(options);
        return options;
    }

    internal void ApplyTo(BatchingOptions options)
    {
        options.BatchSizeLimit = BatchSizeLimit;
        options.BufferingTimeLimit = BufferingTimeLimit;
        options.QueueLimit = QueueLimit;
        options.RetryTimeLimit = RetryTimeLimit;
    }
}

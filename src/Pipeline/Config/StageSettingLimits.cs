namespace Pipeline.Config;

/// <summary>
/// The largest value each stage setting and sink buffer accepts. Each bound is far above what a working topology
/// needs and low enough that one setting alone cannot take the host down; what many settings hold together is
/// checked by <see cref="TopologyMemoryEstimate"/>.
/// </summary>
internal static class StageSettingLimits
{
    /// <summary>
    /// Isolates buy parallelism on the processors and overlap a sink's waits on its backend; past 16 per processor
    /// they add only mailboxes, memory and context switches. At least 64 so a config validated on a small machine is
    /// not refused a sink pool sized for a slow backend.
    /// </summary>
    public const int IsolatesPerProcessor = 16;

    public const int MinMaxIsolates = 64;

    /// <summary>
    /// A mailbox absorbs a burst; a million events is about 1 GiB per isolate at the estimate's 1 KiB an event, so
    /// anything larger is a typo or an attempt to buffer in memory what belongs in a disk buffer.
    /// </summary>
    public const int MaxMailbox = 1_000_000;

    /// <summary>
    /// Every isolate allocates its batch array up front, and backends take 1,000 to 10,000 events a request; past
    /// 100,000 a batch only delays delivery and holds memory.
    /// </summary>
    public const int MaxBatchSize = 100_000;

    /// <summary>
    /// With the backoff capped at 30 s, 1,000 attempts are more than 8 hours of retrying one event; a sink that should
    /// ride out any outage leaves max_attempts unset.
    /// </summary>
    public const int MaxAttempts = 1_000;

    /// <summary>A stage that restarts more than 10,000 times in one window is crash-looping and should be marked failed.</summary>
    public const int MaxRestarts = 10_000;

    /// <summary>
    /// A memory buffer is the sink's mailboxes (max_events split over its isolates): ten mailboxes' worth at most.
    /// A larger backlog belongs in a disk buffer, which survives a restart too.
    /// </summary>
    public const int MaxBufferEvents = 10 * MaxMailbox;

    /// <summary>A disk buffer holds an outage's backlog, not an archive: 1 TiB is days of a busy node's logs.</summary>
    public const long MaxDiskBufferSize = 1024L * 1024 * 1024 * 1024;

    /// <summary>The most isolates one stage may have on this machine.</summary>
    public static int MaxIsolates => Math.Max(MinMaxIsolates, IsolatesPerProcessor * Environment.ProcessorCount);

    /// <summary>How the isolates bound reads in an error, with the figures of this machine.</summary>
    public static string IsolatesExpected
        => $"an integer between 1 and {MaxIsolates} ({IsolatesPerProcessor} per processor on this machine's {Environment.ProcessorCount} processors, at least {MinMaxIsolates}), or auto";
}

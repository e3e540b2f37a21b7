using Pipeline.Events;

namespace Pipeline.Isolates;

/// <summary>
/// How the runtime runs a stage or sink: the isolate pool, its router, mailbox, batching and failure policy.
/// The runtime's own type: the config layer binds the YAML keys that sit beside a component's options into it.
/// </summary>
public sealed class IsolatePoolSettings
{
    /// <summary>Isolates in the pool.</summary>
    public int Isolates { get; set; } = 1;

    public RouterKind Router { get; set; } = RouterKind.RoundRobin;

    /// <summary>The field whose value picks the isolate, for <see cref="RouterKind.KeyAffinity"/>.</summary>
    public FieldPath? Key { get; set; }

    /// <summary>Mailbox capacity per isolate, in events.</summary>
    public int Mailbox { get; set; } = 1024;

    public WhenFull WhenFull { get; set; } = WhenFull.Block;

    /// <summary>
    /// Tries per event (or per sink batch) before it is dead-lettered. Null, the default: a processor tries
    /// <see cref="FailurePolicy.DefaultAttempts"/> times; a sink retries a retryable failure (connection refused, a
    /// timeout, 429, 5xx) as long as it takes and any other failure <see cref="FailurePolicy.DefaultAttempts"/> times.
    /// </summary>
    public int? MaxAttempts { get; set; }

    /// <summary>The base of the retry and restart backoff (see <see cref="Isolates.RetryBackoff"/>).</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest wait between two attempts (the backoff's cap).</summary>
    public TimeSpan RetryMaxBackoff { get; set; } = Pipeline.Isolates.RetryBackoff.Cap;

    /// <summary>Retrying stops (and the work is dead-lettered) once this long has passed since its first attempt; null for no limit.</summary>
    public TimeSpan? RetryMaxElapsed { get; set; }

    /// <summary>Restarts allowed within <see cref="RestartWindow"/> before the stage is marked failed.</summary>
    public int MaxRestarts { get; set; } = 5;

    public TimeSpan RestartWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The most envelopes an isolate takes from its mailbox at once (sinks: the delivery batch size).</summary>
    public int BatchSize { get; set; } = 64;

    /// <summary>For sinks: the <c>buffer:</c>; null is a memory buffer of <see cref="Mailbox"/> × <see cref="Isolates"/> events.</summary>
    public Buffers.BufferSettings? Buffer { get; set; }

    /// <summary>For sinks: the longest a partial batch waits for more events before it is delivered; 0 delivers at once.</summary>
    public TimeSpan BatchTimeout { get; set; } = TimeSpan.Zero;
}

using System.Diagnostics;

namespace Pipeline.Isolates;

/// <summary>
/// One unit of work the <see cref="FailurePolicy"/> retries: an event in a processor isolate, a batch in a sink
/// isolate. Implemented by small structs over their isolate, so the policy's loop is specialised per kind and the
/// successful attempt costs no allocation.
/// </summary>
internal interface IRetriedWork
{
    /// <summary>The attempt under way: 1 for the first.</summary>
    int Attempt { get; }

    /// <summary>The span the attempts are recorded on; null when the work is not sampled.</summary>
    Activity? Span { get; }

    /// <summary>What failed, for log lines: "an event", "a batch of 12 events".</summary>
    string Description { get; }

    /// <summary>Runs the component once; throws on failure.</summary>
    ValueTask AttemptAsync(CancellationToken stop);

    /// <summary>An attempt threw: count the error and undo whatever the attempt left half-done.</summary>
    void AttemptFailed();

    /// <summary>The backoff is over: the next attempt starts.</summary>
    void StartNextAttempt();

    /// <summary>The attempts are used up (or the failure was permanent): dead-letter the work with this reason.</summary>
    void DeadLetter(string reason);
}

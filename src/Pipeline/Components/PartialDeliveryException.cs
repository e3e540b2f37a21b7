namespace Pipeline.Components;

/// <summary>
/// Thrown by a sink when a batch went through in part: a Kafka producer whose delivery reports failed some records,
/// an Elasticsearch <c>_bulk</c> answer with per-document errors. Every event of the batch not listed in
/// <see cref="Failures"/> was delivered and is settled so; a listed event is dead-lettered at once with its reason
/// when it is not retryable, and retried (alone with the other retryable ones, never with what was delivered) when
/// it is, under the sink's retry policy.
/// </summary>
public sealed class PartialDeliveryException(string message, IReadOnlyList<EventDeliveryFailure> failures) : Exception(message)
{
    /// <summary>The events that were not delivered, by index into the batch passed to WriteAsync, each index once.</summary>
    public IReadOnlyList<EventDeliveryFailure> Failures { get; } = failures;
}

/// <summary>One event of a batch that a sink could not deliver.</summary>
/// <param name="Index">The event's index in the batch passed to WriteAsync.</param>
/// <param name="Reason">The backend's reason, for the dead-letter record and the logs.</param>
/// <param name="Retryable">True when sending it again may succeed (a timeout, a leader change, a 429).</param>
public readonly record struct EventDeliveryFailure(int Index, string Reason, bool Retryable);

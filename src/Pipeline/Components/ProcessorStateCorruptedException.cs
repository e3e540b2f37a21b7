namespace Pipeline.Components;

/// <summary>
/// Thrown when a processor or sink instance can no longer be trusted (its private state is broken). The isolate's
/// loop crashes on purpose: the supervisor replaces the instance from its factory and restarts the loop with backoff,
/// keeping the mailbox, and the in-flight events are retried (then dead-lettered with a reason).
/// </summary>
public sealed class ProcessorStateCorruptedException(string message, Exception? inner = null) : Exception(message, inner);

namespace Pipeline.Components;

/// <summary>
/// Thrown by a processor or sink whose instance can no longer be trusted (its private state is broken): "replace
/// me". The isolate's loop crashes on purpose; the supervisor disposes the instance, makes a new one from the
/// factory and restarts the loop with backoff, keeping the mailbox. The work in flight is charged an attempt and
/// retried by the new instance, or dead-lettered once it has used them all.
/// </summary>
public sealed class InstanceCorruptedException(string message, Exception? inner = null) : Exception(message, inner);

namespace Pipeline.Components;

/// <summary>
/// A failure that retrying cannot fix (an HTTP 400 from a sink, an event a processor can never handle): the runtime
/// dead-letters at once instead of spending the remaining attempts.
/// </summary>
public sealed class PermanentFailureException(string message, Exception? inner = null) : Exception(message, inner);

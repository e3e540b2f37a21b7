namespace Pipeline.Processors.Script;

/// <summary>
/// The user's script threw while it processed one event (or emitted something that is not an event): the message is
/// the script's own error and stack, which becomes the event's dead-letter reason once its retries are used up.
/// </summary>
public sealed class ScriptException(string message) : Exception(message);

namespace Pipeline.Events;

/// <summary>The input is not a JSON object, or a path cannot be written because a parent has the wrong type.</summary>
public sealed class EventFormatException(string message, Exception? inner = null) : Exception(message, inner);

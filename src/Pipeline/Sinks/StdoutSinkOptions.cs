namespace Pipeline.Sinks;

/// <summary>The stdout sink has no options: JSON lines, one event per line.</summary>
public sealed class StdoutSinkOptions
{
}

namespace Pipeline.Sinks;

/// <summary>The blackhole sink has no options.</summary>
public sealed class BlackholeSinkOptions
{
}

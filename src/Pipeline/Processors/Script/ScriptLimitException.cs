namespace Pipeline.Processors.Script;

/// <summary>
/// A script call went past a limit of its stage (CPU time, heap) and was stopped; its runtime cannot be trusted and
/// is replaced. The message names the limit and its value, and is the dead-letter reason of an event that goes past
/// it on its own.
/// </summary>
public sealed class ScriptLimitException(string limit, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary><see cref="Telemetry.ScriptInstruments.CpuTimeLimit"/> or <see cref="Telemetry.ScriptInstruments.HeapLimit"/>.</summary>
    public string Limit { get; } = limit;
}

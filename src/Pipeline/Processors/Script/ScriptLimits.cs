using Pipeline.Components;

namespace Pipeline.Processors.Script;

/// <summary>What one call of a stage's script may use, and what it may write to the log.</summary>
/// <param name="CpuTime">CPU time per call (a batch); past it the call is interrupted and the runtime replaced.</param>
/// <param name="Heap">The runtime's heap; past it the call is stopped and the runtime replaced.</param>
internal sealed record ScriptLimits(TimeSpan CpuTime, ByteSize Heap)
{
    /// <summary>console lines kept per call; the rest are counted in one line (a script logging per event floods otherwise).</summary>
    public const int MaxLogLinesPerCall = 100;

    /// <summary>Characters kept of one console line.</summary>
    public const int MaxLineLength = 4096;
}

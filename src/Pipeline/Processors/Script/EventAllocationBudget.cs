using Jint;
using Jint.Runtime;

namespace Pipeline.Processors.Script;

/// <summary>
/// Jint's stand-in for a heap limit: what the thread allocates while the script handles one event. Jint's objects live
/// on the .NET heap, which cannot be measured per engine, and Jint's own memory limit counts a whole call, which for a
/// batch of 64 is 64 events' garbage (2.2 MB an event for a pure-JavaScript SHA-256 was measured: any sane limit failed
/// every batch and halved it). The driver calls <see cref="StartEvent"/> before each event.
/// </summary>
internal sealed class EventAllocationBudget(long bytes) : Constraint
{
    private long _start;

    /// <summary>The name the driver finds this under, a global of the runtime.</summary>
    public const string GlobalName = "__pipelineEventStarts";

    public override void Check()
    {
        if (GC.GetAllocatedBytesForCurrentThread() - _start > bytes)
        {
            throw new MemoryLimitExceededException($"the script allocated more than {bytes} bytes for one event");
        }
    }

    public override void Reset() => _start = GC.GetAllocatedBytesForCurrentThread();

    public void StartEvent() => Reset();
}

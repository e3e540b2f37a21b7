using Pipeline.Events;

namespace Pipeline.Isolates;

/// <summary>Hands events to the isolates in turn. The default router.</summary>
public sealed class RoundRobinRouter(int isolateCount) : IRouter
{
    private readonly uint _isolateCount = (uint)isolateCount;
    private int _next = -1;

    public int Route(Event evt) => _isolateCount == 1 ? 0 : (int)((uint)Interlocked.Increment(ref _next) % _isolateCount);
}

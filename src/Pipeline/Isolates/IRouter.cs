using Pipeline.Events;

namespace Pipeline.Isolates;

/// <summary>Picks which isolate of a pool receives an event. Called concurrently by every producer; must not allocate.</summary>
public interface IRouter
{
    /// <returns>An isolate index in [0, isolate count).</returns>
    int Route(Event evt);
}

using Pipeline.Events;

namespace Pipeline.Isolates;

/// <summary>Hands each event to the isolate with the shortest mailbox.</summary>
/// <remarks>
/// The scan starts at a rotating index so that ties (typically all mailboxes empty) spread over the isolates
/// instead of always landing on isolate 0. Depths are read without a global lock, so two producers may pick the
/// same isolate at once; that is the usual and accepted imprecision of least-loaded balancing.
/// </remarks>
public sealed class LeastLoadedRouter(IReadOnlyList<Mailbox> mailboxes) : IRouter
{
    private readonly Mailbox[] _mailboxes = [.. mailboxes];
    private int _start = -1;

    public int Route(Event evt)
    {
        var count = _mailboxes.Length;
        if (count == 1)
        {
            return 0;
        }
        var start = (int)((uint)Interlocked.Increment(ref _start) % (uint)count);
        var best = start;
        var bestDepth = _mailboxes[start].Count;
        for (var i = 1; i < count && bestDepth > 0; i++)
        {
            var candidate = start + i;
            if (candidate >= count)
            {
                candidate -= count;
            }
            var depth = _mailboxes[candidate].Count;
            if (depth < bestDepth)
            {
                best = candidate;
                bestDepth = depth;
            }
        }
        return best;
    }
}

namespace Pipeline.Isolates;

/// <summary>
/// Counts a stage's restarts in a sliding window: more than <c>max_restarts</c> within <c>restart_window</c>
/// means the stage keeps crashing and restarting it again would only hide that.
/// </summary>
internal sealed class RestartBudget(int maxRestarts, TimeSpan window, TimeProvider time)
{
    private readonly Queue<long> _restarts = new();
    private readonly Lock _lock = new();

    /// <summary>Records a restart; false when it exceeds the budget. <paramref name="inWindow"/> counts this one too.</summary>
    public bool TryTake(out int inWindow)
    {
        lock (_lock)
        {
            var now = time.GetTimestamp();
            while (_restarts.Count > 0 && time.GetElapsedTime(_restarts.Peek(), now) > window)
            {
                _restarts.Dequeue();
            }
            _restarts.Enqueue(now);
            inWindow = _restarts.Count;
            return inWindow <= maxRestarts;
        }
    }
}

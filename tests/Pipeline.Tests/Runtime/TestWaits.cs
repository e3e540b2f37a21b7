namespace Pipeline.Tests.Runtime;

/// <summary>Every wait in these tests is bounded, so a bug fails the test instead of hanging it.</summary>
internal static class TestWaits
{
    public static Task Guarded(this Task task) => task.WaitAsync(TestPipeline.HangGuard, TestContext.Current.CancellationToken);

    public static Task<T> Guarded<T>(this Task<T> task) => task.WaitAsync(TestPipeline.HangGuard, TestContext.Current.CancellationToken);

    public static Task Guarded(this ValueTask task) => task.AsTask().Guarded();

    public static Task<T> Guarded<T>(this ValueTask<T> task) => task.AsTask().Guarded();

    /// <summary>Polls state the runtime updates on its own threads; bounded by the hang guard so a bug fails instead of hanging.</summary>
    public static Task UntilAsync(Func<bool> condition) => UntilAsync(condition, TestPipeline.HangGuard);

    /// <summary>As <see cref="UntilAsync(Func{bool})"/>, with a longer bound for waits on an outside party (a Kafka group's rebalance).</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan guardAfter)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        guard.CancelAfter(guardAfter);
        while (!condition())
        {
            await Task.Delay(guardAfter > TestPipeline.HangGuard ? 20 : 1, guard.Token);
        }
    }
}

namespace Pipeline.Tests.Runtime;

/// <summary>Every wait in these tests is bounded, so a bug fails the test instead of hanging it.</summary>
internal static class TestWaits
{
    public static Task Guarded(this Task task) => task.WaitAsync(TestPipeline.HangGuard, TestContext.Current.CancellationToken);

    public static Task<T> Guarded<T>(this Task<T> task) => task.WaitAsync(TestPipeline.HangGuard, TestContext.Current.CancellationToken);

    public static Task Guarded(this ValueTask task) => task.AsTask().Guarded();

    public static Task<T> Guarded<T>(this ValueTask<T> task) => task.AsTask().Guarded();

    /// <summary>Polls state the runtime updates on its own threads; bounded by the hang guard so a bug fails instead of hanging.</summary>
    public static async Task UntilAsync(Func<bool> condition)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        guard.CancelAfter(TestPipeline.HangGuard);
        while (!condition())
        {
            await Task.Delay(1, guard.Token);
        }
    }
}

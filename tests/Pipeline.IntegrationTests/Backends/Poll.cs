using System.Diagnostics;

namespace Pipeline.IntegrationTests.Backends;

/// <summary>
/// Waits for a backend to show what the test expects: asks again every <c>interval</c> until the answer satisfies the
/// condition or the deadline passes. Never sleep-and-hope: the deadline only bounds a wait that normally ends early.
/// </summary>
internal static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan deadline, string what, TimeSpan? interval = null)
    {
        var clock = Stopwatch.StartNew();
        T last;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = await probe();
                lastError = null;
                if (done(last))
                {
                    return last;
                }
            }
            catch (HttpRequestException ex)
            {
                last = default!;
                lastError = ex;
            }
            if (clock.Elapsed > deadline)
            {
                throw new TimeoutException($"{what}: not seen within {deadline.TotalSeconds:0} s" + (lastError is null ? "" : $" (last error: {lastError.Message})"));
            }
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The last answer when it satisfies the condition by the deadline; else the last answer (the caller asserts on it).</summary>
    public static async Task<T> LastAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan deadline, TimeSpan? interval = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var last = await probe();
            if (done(last) || clock.Elapsed > deadline)
            {
                return last;
            }
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
        }
    }
}

using CsCheck;

namespace Pipeline.Fuzzing;

/// <summary>Runs a property over generated inputs with CsCheck, on the seeds a <see cref="FuzzBudget"/> says; returns how many inputs ran.</summary>
public static class FuzzRun
{
    public static async Task<long> RunAsync<T>(Gen<T> gen, Func<T, Task> property, FuzzBudget budget, Func<T, string>? print = null)
    {
        ArgumentNullException.ThrowIfNull(budget);
        long iterations = 0;
        Func<T, Task> counted = input =>
        {
            Interlocked.Increment(ref iterations);
            return property(input);
        };
        switch (budget.Mode)
        {
            case FuzzMode.Fixed:
                // CsCheck runs only its first iteration on a given seed and draws the rest at random; a CI run must
                // be the same every time, so each iteration gets its own seed, drawn from the fixed one. One thread:
                // the other core belongs to the other tests.
                foreach (var seed in SeedsFrom(budget.Seed!, budget.Iterations))
                {
                    await gen.SampleAsync(counted, seed: seed, iter: 1, threads: 1, print: print).ConfigureAwait(false);
                }
                break;
            case FuzzMode.Timed:
                await gen.SampleAsync(counted, seed: budget.Seed, time: budget.Seconds, threads: 1, print: print).ConfigureAwait(false);
                break;
            default:
                await gen.SampleAsync(counted, seed: budget.Seed, iter: 1, threads: 1, print: print).ConfigureAwait(false);
                break;
        }
        return iterations;
    }

    public static Task<long> Run<T>(Gen<T> gen, Action<T> property, FuzzBudget budget, Func<T, string>? print = null)
        => RunAsync(gen, input =>
        {
            property(input);
            return Task.CompletedTask;
        }, budget, print);

    /// <summary><paramref name="count"/> seeds drawn from <paramref name="seed"/>: each a CsCheck seed string a failure names.</summary>
    private static IEnumerable<string> SeedsFrom(string seed, int count)
    {
        var source = PCG.Parse(seed);
        for (var i = 0; i < count; i++)
        {
            yield return new PCG(source.Stream, source.Next64()).ToString();
        }
    }
}

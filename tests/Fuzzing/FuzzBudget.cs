namespace Pipeline.Fuzzing;

/// <summary>How long a fuzz target runs and on which seeds.</summary>
/// <param name="Seed">Fixed: the seed the iterations' seeds are drawn from. Timed: the first iteration's seed (then random). Replay: the one seed to run.</param>
/// <param name="Iterations">Fixed: how many iterations.</param>
/// <param name="Seconds">Timed: how long, in seconds.</param>
public sealed record FuzzBudget(FuzzMode Mode, string? Seed, int Iterations, int Seconds)
{
    /// <summary>The CI run: the same <paramref name="iterations"/> inputs every time, drawn from <paramref name="seed"/>.</summary>
    public static FuzzBudget Fixed(string seed, int iterations) => new(FuzzMode.Fixed, seed, iterations, 0);

    /// <summary>The long run: random seeds for <paramref name="seconds"/>, starting from <paramref name="firstSeed"/> when given.</summary>
    public static FuzzBudget Timed(int seconds, string? firstSeed = null) => new(FuzzMode.Timed, firstSeed, 0, seconds);

    /// <summary>One iteration on a seed a failure printed.</summary>
    public static FuzzBudget Replay(string seed) => new(FuzzMode.Replay, seed, 1, 0);

    /// <summary>
    /// The CI budget, unless the CsCheck_Seed environment variable names a seed to replay (the line a failure prints:
    /// CsCheck_Seed=… tests/Pipeline.Tests/bin/Debug/net10.0/Pipeline.Tests -class '…').
    /// </summary>
    public static FuzzBudget FixedOrReplay(string seed, int iterations)
        => Environment.GetEnvironmentVariable("CsCheck_Seed") is { Length: > 0 } replay ? Replay(replay) : Fixed(seed, iterations);
}

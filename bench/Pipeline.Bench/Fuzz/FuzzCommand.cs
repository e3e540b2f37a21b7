using System.Diagnostics;
using System.Globalization;
using CsCheck;
using Pipeline.Fuzzing;

namespace Pipeline.Bench.Fuzz;

/// <summary>
/// The long mode of the fuzz tests (docs/fuzzing.md): the properties tests/Pipeline.Tests/Fuzz runs on fixed seeds for
/// a few seconds, here on random seeds for a time budget split evenly between the targets. Prints each target's
/// inputs tried and any failing seed, then the peak memory; exits 1 when a property failed.
/// </summary>
internal static class FuzzCommand
{
    public const string Usage = "fuzz [--seconds N (default 60, split between the targets)] [--target event-parse|traceparent|container-lines|http-ingest] [--seed S [--replay]]";

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = 60;
        string? seed = null;
        string? only = null;
        var replay = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seconds" when i + 1 < args.Length:
                    seconds = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--seed" when i + 1 < args.Length:
                    seed = args[++i];
                    break;
                case "--target" when i + 1 < args.Length:
                    only = args[++i];
                    break;
                case "--replay":
                    replay = true;
                    break;
                default:
                    Console.Error.WriteLine($"usage: Pipeline.Bench {Usage}");
                    return 2;
            }
        }
        if (replay && seed is null)
        {
            Console.Error.WriteLine("--replay needs --seed: the seed a failure printed");
            return 2;
        }
        var targets = FuzzTargets.All.Where(t => only is null || t.Name == only).ToArray();
        if (targets.Length == 0)
        {
            Console.Error.WriteLine($"no target '{only}'; expected one of {string.Join(", ", FuzzTargets.All)}");
            return 2;
        }

        var share = Math.Max(1, seconds / targets.Length);
        var failed = false;
        foreach (var target in targets)
        {
            var budget = replay ? FuzzBudget.Replay(seed!) : FuzzBudget.Timed(share, seed);
            var clock = Stopwatch.StartNew();
            try
            {
                var inputs = await target.Run(budget).ConfigureAwait(false);
                Console.WriteLine($"{target.Name}: {inputs:N0} inputs in {clock.Elapsed.TotalSeconds:F1} s, every property held");
            }
            catch (CsCheckException ex)
            {
                // CsCheck's message names the seed to replay, and the (shrunk) input; the inner exception is the violation.
                failed = true;
                Console.WriteLine($"{target.Name}: FAILED after {clock.Elapsed.TotalSeconds:F1} s: {ex.Message}");
                Console.WriteLine($"  {ex.InnerException?.GetType().Name}: {ex.InnerException?.Message}");
                Console.WriteLine($"  replay: dotnet run -c Release --project bench/Pipeline.Bench -- fuzz --target {target.Name} --replay --seed <the seed above>");
            }
        }
        using var process = Process.GetCurrentProcess();
        var httpHeap = targets.Contains(FuzzTargets.HttpIngest)
            ? $"http-ingest's managed heap grew {FuzzTargets.LastHeapGrowthBytes / (1024.0 * 1024):F1} MiB over its run (max_body {HttpIngestProperty.MaxBody / 1024} KiB); "
            : "";
        Console.WriteLine(
            $"peak working set {process.PeakWorkingSet64 / (1024.0 * 1024):F0} MiB (the generators' inputs included: a bomb's plain text is up to 16 MiB); "
            + $"{httpHeap}managed heap now {GC.GetTotalMemory(forceFullCollection: true) / (1024.0 * 1024):F0} MiB");
        return failed ? 1 : 0;
    }
}

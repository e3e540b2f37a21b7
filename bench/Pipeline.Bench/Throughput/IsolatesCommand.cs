using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Processors.Script;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// <c>Pipeline.Bench isolates</c>: the comparison the isolates design comes from (Python sub-interpreters against a
/// process pool and native code), redone for Pipeline. One CPU-bound transform (<see cref="DigestRewrite"/>) run by
/// each <see cref="IsolateArm"/> at 1 and 2 isolates through the real isolate pool (<see cref="StageDrain"/>):
/// events/s, the 2-vs-1 speedup judged against the machine's two-process ceiling measured in the same run, and each
/// isolate's start time and memory (<see cref="ReadyInstances"/>). One line per figure, then a Markdown table.
/// </summary>
internal static partial class IsolatesCommand
{
    /// <summary>Runs the arms named by --arms in this process: the parent's child, one arm each.</summary>
    private const string ArmOption = "--in-process";

    public const string Usage = "isolates [--arms csharp,v8,jint,worker] [--seconds S (2: timed work per run)] [--runs R (3)]";

    /// <summary>At most this many events in the mailboxes at once: a round of a run, so memory stays bounded however
    /// fast the arm is (rounds of 200,000 peaked at 1.4 GB RSS: an event's arena and nodes are pooled arrays of
    /// power-of-two sizes, several KiB for this 1.2 KiB input).</summary>
    private const int MaxRound = 100_000;

    private static readonly IsolateArm[] Arms =
    [
        new("csharp", "C# processor", _ => new ProcessorFactory(_ => new DigestRewrite())),
        new("v8", "V8 script (ClearScript)", dataDir => Script(ScriptEngineKind.V8, dataDir)),
        new("jint", "Jint script (interpreter)", dataDir => Script(ScriptEngineKind.Jint, dataDir)),
        new("worker", "worker process per isolate (stdin/stdout)", _ => new ProcessorFactory(_ => new WorkerProcessor())),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = double.Parse(ThroughputCommand.ArgOr(args, "--seconds", "2"), CultureInfo.InvariantCulture);
        var runs = ThroughputCommand.ArgOr(args, "--runs", 3);
        var names = ThroughputCommand.ArgOr(args, "--arms", string.Join(',', Arms.Select(a => a.Name))).Split(',');
        var unknown = names.Where(n => Arms.All(a => a.Name != n)).ToList();
        if (unknown.Count > 0)
        {
            Console.Error.WriteLine($"unknown arms {string.Join(", ", unknown)}; expected some of {string.Join(", ", Arms.Select(a => a.Name))}");
            return 2;
        }
        var arms = Arms.Where(a => names.Contains(a.Name)).ToList();
        if (args.Contains(ArmOption))
        {
            // The child: one arm, alone in this process.
            foreach (var arm in arms)
            {
                await MeasureArmAsync(arm, seconds, runs).ConfigureAwait(false);
            }
            return 0;
        }

        Console.WriteLine($"# {Environment.ProcessorCount} cores, .NET {Environment.Version}, Server GC: {System.Runtime.GCSettings.IsServerGC}; " +
            $"transform: SHA-256 of a 1 KiB payload + JSON rewrite; batch_size {StageDrain.BatchSize}; each figure the best of {runs} runs of >= {seconds} s");
        // Other processes' load is what makes a 2-isolate figure fall short of two cores; the reader should see it.
        Console.WriteLine($"# load average at start: {LoadAverage()}");
        var figures = new Dictionary<(string Arm, int Isolates), ArmFigures>();
        foreach (var arm in arms)
        {
            if (!await RunArmProcessAsync(arm, seconds, runs, figures).ConfigureAwait(false))
            {
                return 1;
            }
        }
        // The ceiling, measured in the same run: what two processes running the C# transform's loop reach now.
        var ceiling = await TwoProcessCeiling.MeasureAsync("isolates", [DigestRewriteLoop.Command, seconds.ToString(CultureInfo.InvariantCulture)], runs).ConfigureAwait(false);
        foreach (var arm in arms)
        {
            var speedup = figures[(arm.Name, 2)].EventsPerSecond / figures[(arm.Name, 1)].EventsPerSecond;
            var medians = figures[(arm.Name, 2)].MedianEventsPerSecond / figures[(arm.Name, 1)].MedianEventsPerSecond;
            Print($"isolates arm={arm.Name} speedup_2_vs_1={speedup:F2}x speedup_of_ceiling={speedup / ceiling:P0} (two processes {ceiling:F2}x; of the runs' medians {medians:F2}x)");
        }
        Console.WriteLine($"# load average at end: {LoadAverage()}");
        PrintTable(arms, figures, ceiling);
        return 0;
    }

    /// <summary>
    /// Measures one arm in a process of its own (this command with <see cref="ArmOption"/>), so the first isolate's
    /// start and memory are what a pipeline process pays for its first isolate of that kind (loading the engine), and
    /// no arm inherits another's heap, JIT state or native memory still being given back. Its lines are passed on.
    /// </summary>
    private static async Task<bool> RunArmProcessAsync(IsolateArm arm, double seconds, int runs, Dictionary<(string Arm, int Isolates), ArmFigures> figures)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { typeof(IsolatesCommand).Assembly.Location, "isolates", ArmOption, "--arms", arm.Name,
            "--seconds", seconds.ToString(CultureInfo.InvariantCulture), "--runs", runs.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(argument);
        }
        using var child = Process.Start(info) ?? throw new InvalidOperationException($"could not start the {arm.Name} arm");
        var start = new Dictionary<int, (double Milliseconds, double Mib)>();
        var rate = new Dictionary<int, (double EventsPerSecond, double Median, double Cores, double Others)>();
        while (await child.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            Console.WriteLine(line);
            if (StartLine().Match(line) is { Success: true } started)
            {
                start[int.Parse(started.Groups["isolates"].Value, CultureInfo.InvariantCulture)] = (Number(started, "ms"), Number(started, "mib"));
            }
            else if (RateLine().Match(line) is { Success: true } measured)
            {
                rate[int.Parse(measured.Groups["isolates"].Value, CultureInfo.InvariantCulture)] = (Number(measured, "rate"), Median(measured.Groups["runs"].Value), Number(measured, "cores"), Number(measured, "others"));
            }
        }
        await child.WaitForExitAsync().ConfigureAwait(false);
        if (rate.Count != 2 || start.Count != 2)
        {
            Console.Error.WriteLine($"the {arm.Name} arm failed (exit {child.ExitCode}); its reasons are above");
            return false;
        }
        if (child.ExitCode != 0)
        {
            // Its figures are whole (every run finished and was checked); what failed is the process's exit, and that
            // is said on a line of its own rather than hidden or allowed to cost the other arms' figures.
            Print($"isolates arm={arm.Name} exit_code={child.ExitCode}: its process failed after its last figure (139 is a segmentation fault)");
        }
        foreach (var (isolates, (eventsPerSecond, median, cores, others)) in rate)
        {
            figures[(arm.Name, isolates)] = new ArmFigures(eventsPerSecond, median, cores, others, start[isolates].Milliseconds, start[isolates].Mib);
        }
        return true;
    }

    /// <summary>The median of the runs' rates, as the child lists them ("12,345, 13,456, 11,000").</summary>
    private static double Median(string runs)
    {
        var rates = runs.Split(", ").Select(r => double.Parse(r, NumberStyles.Number, CultureInfo.InvariantCulture)).Order().ToList();
        return rates.Count % 2 == 1 ? rates[rates.Count / 2] : (rates[(rates.Count / 2) - 1] + rates[rates.Count / 2]) / 2;
    }

    private static double Number(Match match, string group) =>
        double.Parse(match.Groups[group].Value, NumberStyles.Number, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^isolates arm=\S+ isolates=(?<isolates>\d+) start_ms_per_isolate=(?<ms>[-0-9.]+) memory_mib_per_isolate=(?<mib>[-0-9.]+)")]
    private static partial Regex StartLine();

    [GeneratedRegex(@"^isolates arm=\S+ isolates=(?<isolates>\d+) events=\d+ events_per_s=(?<rate>[0-9,.]+) cores_busy=(?<cores>[0-9.]+) others_busy=(?<others>[0-9.]+) \(best of \d+: (?<runs>[0-9,. ]+)\)")]
    private static partial Regex RateLine();

    /// <summary>
    /// Prints the arm's figures. Each run makes the arm's instances for 1 isolate, then for 2 more (in the first run,
    /// the second pair's start and memory are what a further isolate costs once the first has loaded the engine), then
    /// measures 1 and 2 isolates in turn, so that load from outside drifting during the arm touches both alike.
    /// </summary>
    private static async Task MeasureArmAsync(IsolateArm arm, double seconds, int runs)
    {
        int[] counts = [1, 2];
        var expected = Expected();
        var template = Event.Parse(DigestRewrite.InputJson);
        var dataDir = Directory.CreateTempSubdirectory("pipeline-bench-isolates-");
        var factory = arm.CreateFactory(dataDir.FullName);
        var best = new (double Rate, long Events, double Cores, double Others)[counts.Length];
        var rates = new List<double>[] { [], [] };
        for (var run = 0; run < runs; run++)
        {
            // Fresh instances every run: a V8 runtime's speed varies from one to the next (a tenth to a quarter of
            // its neighbours' seen), and a slow one stayed slow while one set of instances served every run; a run
            // per set of instances samples that as well.
            var ready = new List<ReadyInstances>();
            try
            {
                foreach (var isolates in counts)
                {
                    ready.Add(await ReadyInstances.CreateAsync(factory, isolates, DigestRewrite.InputJson, expected).ConfigureAwait(false));
                    if (run == 0)
                    {
                        Print($"isolates arm={arm.Name} isolates={isolates} start_ms_per_isolate={ready[^1].StartMillisecondsPerIsolate:F1} memory_mib_per_isolate={ready[^1].MemoryMibPerIsolate:F1}");
                    }
                }
                var estimate = new double[counts.Length];
                for (var i = 0; i < counts.Length; i++)
                {
                    // Warm-up: the engines' own JITs, and .NET's tiered JIT, whose optimized code comes late here (every
                    // round makes new pools): in the first run as long as a measured run (with half a second, the
                    // third run of the C# arm was 17 % faster than the first two), later half a second. Its rate
                    // sizes the run's first round.
                    var warmUp = run == 0 ? seconds : Math.Min(seconds, 0.5);
                    (estimate[i], _, _, _) = await DrainAsync(arm.Name, ready[i], counts[i], template, warmUp, StageDrain.BatchSize * counts[i]).ConfigureAwait(false);
                }
                for (var i = 0; i < counts.Length; i++)
                {
                    var measured = await DrainAsync(arm.Name, ready[i], counts[i], template, seconds, (int)Math.Min(MaxRound, estimate[i] * seconds * 1.05)).ConfigureAwait(false);
                    rates[i].Add(measured.Rate);
                    if (measured.Rate > best[i].Rate)
                    {
                        best[i] = measured;
                    }
                }
            }
            finally
            {
                foreach (var instances in ready)
                {
                    instances.Dispose();
                }
            }
        }
        dataDir.Delete(recursive: true);
        for (var i = 0; i < counts.Length; i++)
        {
            var all = string.Join(", ", rates[i].Select(r => r.ToString("N0", CultureInfo.InvariantCulture)));
            Print($"isolates arm={arm.Name} isolates={counts[i]} events={best[i].Events} events_per_s={best[i].Rate:N0} cores_busy={best[i].Cores:F2} others_busy={best[i].Others:F2} (best of {runs}: {all})");
        }
    }

    /// <summary>
    /// One run: rounds of pre-filled mailboxes drained until at least <paramref name="seconds"/> of the stage's own
    /// time is timed (filling is not). Each round is sized from the rate so far to end the run, within
    /// <see cref="MaxRound"/>. Returns events per second over the timed time, the events, the cores kept busy
    /// meanwhile (CPU time of this process and its workers over wall time) and the cores other processes kept busy.
    /// </summary>
    private static async Task<(double Rate, long Events, double Cores, double Others)> DrainAsync(
        string arm, ReadyInstances ready, int isolates, Event template, double seconds, int firstRound)
    {
        var round = Math.Max(firstRound, StageDrain.BatchSize * isolates);
        long events = 0;
        var timed = TimeSpan.Zero;
        var cpu = TimeSpan.Zero;
        var machine = TimeSpan.Zero;
        while (timed.TotalSeconds < seconds)
        {
            var (elapsed, processorTime, machineBusy) = await StageDrain.RunAsync(arm, ready, isolates, template, round, ready.ProcessorTime).ConfigureAwait(false);
            timed += elapsed;
            cpu += processorTime;
            machine += machineBusy;
            events += round;
            var rate = events / timed.TotalSeconds;
            round = (int)Math.Clamp(rate * (seconds - timed.TotalSeconds) * 1.05, StageDrain.BatchSize * isolates, MaxRound);
        }
        return (events / timed.TotalSeconds, events, cpu / timed, Math.Max(0, (machine - cpu) / timed));
    }

    /// <summary>
    /// The script processor as a stage configures it, with the default limits on both engines. (Jint allocates about
    /// 2.2 MB per event of this script, measured; its heap_limit counts one event's allocations, so 64 MiB is room.)
    /// </summary>
    private static IProcessorFactory Script(ScriptEngineKind engine, string dataDir)
        => new ScriptConfig { Source = DigestRewriteScript.Source, Engine = engine }.Build(new ComponentContext("script", "bench", dataDir));

    /// <summary>The C# transform's output for the input: what every arm's first event is checked against.</summary>
    private static string Expected()
    {
        var evt = Event.Parse(DigestRewrite.InputJson);
        DigestRewrite.Apply(evt);
        return evt.ToString();
    }

    private static void PrintTable(List<IsolateArm> arms, Dictionary<(string Arm, int Isolates), ArmFigures> figures, double ceiling)
    {
        Console.WriteLine();
        Console.WriteLine("| arm | events/s, 1 isolate | of C#'s | events/s, 2 isolates | 2 vs 1 (medians') | of the two-process ceiling | cores busy, 1 / 2 isolates (others') | start per isolate, first / next | memory per isolate, first / next |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        var csharp = figures.GetValueOrDefault(("csharp", 1));
        foreach (var arm in arms)
        {
            var one = figures[(arm.Name, 1)];
            var two = figures[(arm.Name, 2)];
            var speedup = two.EventsPerSecond / one.EventsPerSecond;
            var medians = two.MedianEventsPerSecond / one.MedianEventsPerSecond;
            var share = csharp is null ? double.NaN : one.EventsPerSecond / csharp.EventsPerSecond;
            var ofCsharp = double.IsNaN(share) ? "" : share.ToString(share < 0.01 ? "P2" : "P1", CultureInfo.InvariantCulture);
            Print($"| {arm.Label} | {one.EventsPerSecond:N0} | {ofCsharp} | {two.EventsPerSecond:N0} | {speedup:F2}x ({medians:F2}x) | {speedup / ceiling:P0} | {one.Cores:F2} / {two.Cores:F2} ({two.Others:F2}) | {one.StartMilliseconds:F1} / {two.StartMilliseconds:F1} ms | {one.MemoryMib:F1} / {two.MemoryMib:F1} MiB |");
        }
        Print($"Two processes running the C# transform's loop: {ceiling:F2}x one process (the ceiling).");
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "unknown";

    private static void Print(FormattableString line) => Console.WriteLine(FormattableString.Invariant(line));
}

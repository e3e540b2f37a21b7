using System.Diagnostics;
using System.Globalization;

namespace Pipeline.Bench.Throughput;

/// <summary>One variant's run over the whole input: events in and out, and GNU time's figures.</summary>
internal sealed record VariantResult(string Name, long In, long Out, TimedResult Time)
{
    public double EventsPerCpuSecond => In / Time.CpuSeconds;

    public double EventsPerWallSecond => In / Time.WallSeconds;
}

/// <summary>
/// <c>Pipeline.Bench compare</c>: the pipeline against a hand-written single-threaded loop doing the same work
/// (parse every line, drop debug, write the rest to a file), and against syslog-ng, each a child process reading
/// one generated file on standard input; then the pipeline as an HTTP service. The loop is the yardstick: the
/// ratios say what the pipeline's generality (events, isolates, mailboxes) costs over the least a program can do.
/// </summary>
internal static class CompareCommand
{
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromMinutes(10);

    public static async Task<int> RunAsync(string[] args)
    {
        var events = ThroughputCommand.ArgOr(args, "--events", 1_000_000);
        var runs = ThroughputCommand.ArgOr(args, "--runs", 1);
        var httpSeconds = ThroughputCommand.ArgOr(args, "--http-seconds", 10);
        var isolates = ThroughputCommand.ArgOr(args, "--isolates", "1,2").Split(',').Select(i => int.Parse(i, CultureInfo.InvariantCulture)).ToArray();
        if (!TimedRun.Available)
        {
            Console.Error.WriteLine("compare: /usr/bin/time (GNU time) is needed for exact CPU and peak RSS: apt-get install -y time");
            return 1;
        }
        var pipeline = await FindPipelineAsync(ThroughputCommand.ArgOr(args, "--pipeline", "")).ConfigureAwait(false);
        if (pipeline is null)
        {
            return 1;
        }

        var work = Directory.CreateTempSubdirectory("pipeline-bench-compare-");
        try
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"# compare: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, pipeline {pipeline.Description}"));
            var input = Path.Combine(work.FullName, "input.ndjson");
            var bytes = CompareInput.Write(input, events);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"input: {events} lines, mean line {(double)bytes / events:F1} bytes (newline included), {bytes / 1048576.0:F1} MiB"));

            // Interleaved (loop, p1, p2, loop, ...): this machine's speed drifts by ±20%, and a drift then hits
            // every variant alike instead of whichever ran last.
            var perRun = new List<List<VariantResult>>();
            for (var run = 1; run <= runs; run++)
            {
                if (runs > 1)
                {
                    Console.WriteLine($"run {run} of {runs}");
                }
                var results = new List<VariantResult>();
                if (await RunLoopAsync(work.FullName, input, events).ConfigureAwait(false) is not { } loop)
                {
                    return 1;
                }
                results.Add(loop);
                Console.WriteLine(Line(loop, null));
                foreach (var k in isolates)
                {
                    if (await RunPipelineAsync(pipeline, work.FullName, input, events, k).ConfigureAwait(false) is { } result)
                    {
                        results.Add(result);
                        Console.WriteLine(Line(result, loop));
                        WarnIfOutputDiffers(result, loop);
                    }
                }
                perRun.Add(results);
            }
            var reference = perRun[0][0];
            if (runs > 1)
            {
                Console.WriteLine($"median of {runs} runs");
                var medians = perRun.SelectMany(r => r).GroupBy(r => r.Name).Select(Median).ToList();
                reference = medians[0];
                foreach (var median in medians)
                {
                    Console.WriteLine(Line(median, median == reference ? null : reference));
                }
                // The machine's speed drifts within minutes, loop and pipeline alike: each run's own ratio cancels the
                // drift that the ratio of the medians above does not.
                foreach (var name in medians.Skip(1).Select(m => m.Name))
                {
                    var cpu = perRun.Select(r => Ratio(r, name, v => v.EventsPerCpuSecond)).OfType<double>().Order().ToArray();
                    var wall = perRun.Select(r => Ratio(r, name, v => v.EventsPerWallSecond)).OfType<double>().Order().ToArray();
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{name,-20} per-run ratios to the loop: ev/cpu-s {string.Join(" ", cpu.Select(c => c.ToString("F2", CultureInfo.InvariantCulture)))} (median {cpu[cpu.Length / 2]:F2}), wall ev/s {string.Join(" ", wall.Select(c => c.ToString("F2", CultureInfo.InvariantCulture)))} (median {wall[wall.Length / 2]:F2})"));
                }
            }

            if (!args.Contains("--skip-syslog-ng"))
            {
                if (await SyslogNgVariant.RunAsync(work.FullName, input, events, ChildTimeout).ConfigureAwait(false) is { } syslogNg)
                {
                    Console.WriteLine(Line(syslogNg, reference));
                    WarnIfOutputDiffers(syslogNg, reference);
                }
            }
            if (!args.Contains("--skip-http"))
            {
                if (await HttpVariant.RunAsync(pipeline, work.FullName, input, httpSeconds).ConfigureAwait(false) is { } http)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{"http",-20} {http.Accepted,8} in {http.LoadSeconds,5:F1} s  {http.Accepted / http.LoadSeconds,9:N0} ev/s  cpu {http.CpuSeconds:F2} s  {http.EventsPerCpuSecond,9:N0} ev/cpu-s  = {http.EventsPerCpuSecond / reference.EventsPerCpuSecond:F2} of loop ev/cpu-s; refused {http.Refused}, idle RSS {http.IdleRssMib:F0} MiB, start to ready {http.ReadySeconds:F2} s, peak RSS {http.PeakRssMib:F0} MiB"));
                }
            }
            return 0;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    private static string Line(VariantResult r, VariantResult? loop)
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{r.Name,-20} {r.In,8} in {r.Out,8} out  wall {r.Time.WallSeconds,5:F2} s  cpu {r.Time.CpuSeconds,5:F2} s  {r.EventsPerCpuSecond,9:N0} ev/cpu-s  peak RSS {r.Time.PeakRssMib,4:F0} MiB");
        return loop is null ? line : line + string.Create(CultureInfo.InvariantCulture,
            $"  = {r.EventsPerCpuSecond / loop.EventsPerCpuSecond:F2} of loop ev/cpu-s, {r.EventsPerWallSecond / loop.EventsPerWallSecond:F2} of loop wall ev/s");
    }

    private static double? Ratio(List<VariantResult> run, string name, Func<VariantResult, double> figure)
        => run.FirstOrDefault(v => v.Name == name) is { } variant ? figure(variant) / figure(run[0]) : null;

    private static void WarnIfOutputDiffers(VariantResult result, VariantResult loop)
    {
        if (result.Out != loop.Out)
        {
            Console.WriteLine($"warning: {result.Name} wrote {result.Out} lines, the loop {loop.Out}");
        }
    }

    private static VariantResult Median(IGrouping<string, VariantResult> runs)
    {
        static double Middle(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }
        var first = runs.First();
        // Each figure's own median: the run with the median wall time need not be the one with the median CPU.
        var time = new TimedResult(
            Middle(runs.Select(r => r.Time.WallSeconds)),
            Middle(runs.Select(r => r.Time.UserSeconds)),
            Middle(runs.Select(r => r.Time.SystemSeconds)),
            (long)Middle(runs.Select(r => (double)r.Time.MaxRssKib)));
        return first with { Time = time };
    }

    private static async Task<VariantResult?> RunLoopAsync(string work, string input, long events)
    {
        var output = Path.Combine(work, "loop.ndjson");
        var time = await TimedRun.RunAsync("loop", input, ["dotnet", typeof(CalibrationLoop).Assembly.Location, "loop", output], ChildTimeout).ConfigureAwait(false);
        var written = CountLines([output]);
        File.Delete(output);
        return time is null ? null : new VariantResult("loop", events, written, time);
    }

    private static async Task<VariantResult?> RunPipelineAsync(PipelineCommand pipeline, string work, string input, long events, int isolates)
    {
        var dir = Directory.CreateDirectory(Path.Combine(work, $"pipeline-{isolates}"));
        try
        {
            var configPath = Path.Combine(dir.FullName, "pipeline.yaml");
            var output = Path.Combine(dir.FullName, "out.ndjson");
            // The admin port is unused here but must not collide with anything else on this machine.
            await File.WriteAllTextAsync(configPath, $$"""
                name: compare
                data_dir: {{Path.Combine(dir.FullName, "data")}}
                admin: { address: "127.0.0.1:{{BenchHost.FreePort()}}" }
                sources:
                  in: { type: stdin }
                stages:
                  keep: { type: filter, inputs: [in], condition: '.level != "debug"', isolates: {{isolates}} }
                sinks:
                  out: { type: file, inputs: [keep], path: {{output}}, max_size: 100GiB }
                """).ConfigureAwait(false);
            var name = $"pipeline isolates={isolates}";
            var time = await TimedRun.RunAsync(name, input, pipeline.CommandLine(configPath), ChildTimeout, FileTailBenchmark.ShippedEnvironment).ConfigureAwait(false);
            // With several sink isolates, isolate N > 0 writes out-N.ndjson.
            var written = CountLines(Directory.GetFiles(dir.FullName, "out*.ndjson"));
            return time is null ? null : new VariantResult(name, events, written, time);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    internal static long CountLines(IEnumerable<string> paths)
    {
        var buffer = new byte[1 << 20];
        long lines = 0;
        foreach (var path in paths.Where(File.Exists))
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                lines += buffer.AsSpan(0, read).Count((byte)'\n');
            }
        }
        return lines;
    }

    /// <summary>--pipeline, or the Release build in this repository (built first when it is missing).</summary>
    private static async Task<PipelineCommand?> FindPipelineAsync(string given)
    {
        if (given.Length > 0)
        {
            if (!File.Exists(given))
            {
                Console.Error.WriteLine($"compare: --pipeline {given}: no such file");
                return null;
            }
            return PipelineCommand.For(Path.GetFullPath(given));
        }
        var repo = BenchHost.FindRepository();
        var dll = Path.Combine(repo, "src", "Pipeline", "bin", "Release", "net10.0", "pipeline.dll");
        if (!File.Exists(dll))
        {
            Console.WriteLine($"compare: {dll} not found; building it: dotnet build -c Release src/Pipeline");
            using var build = Process.Start(new ProcessStartInfo("dotnet", ["build", "-c", "Release", "src/Pipeline"]) { WorkingDirectory = repo })!;
            await build.WaitForExitAsync().ConfigureAwait(false);
            if (build.ExitCode != 0 || !File.Exists(dll))
            {
                Console.Error.WriteLine($"compare: the build failed (exit {build.ExitCode})");
                return null;
            }
        }
        return PipelineCommand.For(dll);
    }

}

using System.Diagnostics;
using System.Globalization;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// The ceiling a stage's 2-isolate speedup is held to: how much faster two separate processes, each running the same
/// CPU-bound loop, get through the work than one does, on this machine and now. Two processes share nothing but the
/// cores and their caches, so no runtime can scale better; what two isolates reach is judged against this.
/// </summary>
internal static class TwoProcessCeiling
{
    private const string RateMarker = "events_per_s=";

    /// <summary>
    /// Runs the bench's own <paramref name="loopArguments"/> (a loop command that prints <c>events_per_s=N</c>) alone,
    /// then two at once, best of <paramref name="runs"/> each; prints the line and returns the two's summed rate over the one's.
    /// </summary>
    public static async Task<double> MeasureAsync(string label, IReadOnlyList<string> loopArguments, int runs)
    {
        var alone = 0.0;
        var together = 0.0;
        for (var run = 0; run < runs; run++)
        {
            alone = Math.Max(alone, (await Task.WhenAll(RunLoopAsync(loopArguments)).ConfigureAwait(false)).Sum());
            together = Math.Max(together, (await Task.WhenAll(RunLoopAsync(loopArguments), RunLoopAsync(loopArguments)).ConfigureAwait(false)).Sum());
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label} ceiling: one process {alone:N0} events/s, two processes {together:N0} events/s together = {together / alone:F2}x (best of {runs})"));
        return together / alone;
    }

    /// <summary>The line a loop command prints at its end.</summary>
    public static string RateLine(string loop, double eventsPerSecond, long checksum) =>
        string.Create(CultureInfo.InvariantCulture, $"{loop} {RateMarker}{eventsPerSecond:F0} checksum={checksum}");

    private static async Task<double> RunLoopAsync(IReadOnlyList<string> loopArguments)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(typeof(TwoProcessCeiling).Assembly.Location);
        foreach (var argument in loopArguments)
        {
            info.ArgumentList.Add(argument);
        }
        using var child = Process.Start(info) ?? throw new InvalidOperationException($"could not start {loopArguments[0]}");
        var output = await child.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        await child.WaitForExitAsync().ConfigureAwait(false);
        var at = output.IndexOf(RateMarker, StringComparison.Ordinal);
        if (child.ExitCode != 0 || at < 0)
        {
            throw new InvalidOperationException($"{loopArguments[0]} failed (exit {child.ExitCode}): {output}");
        }
        var rate = output[(at + RateMarker.Length)..].Split(' ')[0];
        return double.Parse(rate, CultureInfo.InvariantCulture);
    }
}

using System.Globalization;

namespace Pipeline.Bench.Throughput;

/// <summary>What GNU time reports for one process that ran to the end of its input.</summary>
internal sealed record TimedResult(double WallSeconds, double UserSeconds, double SystemSeconds, long MaxRssKib)
{
    public double CpuSeconds => UserSeconds + SystemSeconds;

    public double PeakRssMib => MaxRssKib / 1024.0;
}

/// <summary>
/// Runs a command with a file on standard input under /usr/bin/time. A process that exits at end of input cannot be
/// sampled in /proc after its last event (it is gone), and sampling it just before misses its final flush; GNU time
/// reads the kernel's own totals from wait4(), so CPU and peak RSS are exact and include exit.
/// </summary>
internal static class TimedRun
{
    private const string GnuTime = "/usr/bin/time";

    public static bool Available => File.Exists(GnuTime);

    /// <summary>The result, or null (after showing the child's last output) when it failed or timed out.</summary>
    public static async Task<TimedResult?> RunAsync(
        string label, string inputPath, IReadOnlyList<string> command, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null, bool inputThroughPipe = false)
    {
        var timeFile = Path.GetTempFileName();
        try
        {
            // The input is opened by the shell, so the child reads a real file as in `tool < file`, with no pipe fed by
            // this process; "$@" passes every argument as it is, whatever it contains.
            // inputThroughPipe: for tools that cannot read a regular file as a stream (syslog-ng's stdin() asks for
            // follow-freq() on one, and then never sees an end); cat's own CPU is not counted, GNU time times only "$@".
            var script = "input=$1; timefile=$2; shift 2; " + (inputThroughPipe
                ? "cat \"$input\" | " + GnuTime + " -f '%e %U %S %M' -o \"$timefile\" \"$@\""
                : "exec " + GnuTime + " -f '%e %U %S %M' -o \"$timefile\" \"$@\" < \"$input\"");
            using var child = new Child("/bin/sh", ["-c", script, "sh", inputPath, timeFile, .. command], environment);
            using var deadline = new CancellationTokenSource(timeout);
            try
            {
                await child.Process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                child.Fail($"({label}) did not finish within {timeout.TotalMinutes:F0} min; killed");
                return null;
            }
            // Let the asynchronous readers catch the last lines of output before they are shown.
            child.Process.WaitForExit();
            if (child.Process.ExitCode != 0)
            {
                child.Fail($"({label}) exited with {child.Process.ExitCode}");
                return null;
            }
            // With a non-zero exit GNU time writes "Command exited with non-zero status N" first; the figures are last.
            var figures = File.ReadAllLines(timeFile).LastOrDefault(l => l.Length > 0)?.Split(' ');
            if (figures is not { Length: 4 })
            {
                child.Fail($"({label}) left no figures in GNU time's output");
                return null;
            }
            return new TimedResult(
                double.Parse(figures[0], CultureInfo.InvariantCulture),
                double.Parse(figures[1], CultureInfo.InvariantCulture),
                double.Parse(figures[2], CultureInfo.InvariantCulture),
                long.Parse(figures[3], CultureInfo.InvariantCulture));
        }
        finally
        {
            File.Delete(timeFile);
        }
    }
}

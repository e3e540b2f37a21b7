using System.Diagnostics;
using System.Globalization;

namespace Pipeline.Bench.Throughput;

/// <summary>A child process whose output is kept (the last lines, shown when it fails), timed from its start.</summary>
internal sealed class Child : IDisposable
{
    private readonly Queue<string> _tail = new();

    public Child(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        Process = new Process { StartInfo = info };
        Process.OutputDataReceived += (_, e) => Keep(e.Data);
        Process.ErrorDataReceived += (_, e) => Keep(e.Data);
        Clock = Stopwatch.StartNew();
        Process.Start();
        Process.BeginOutputReadLine();
        Process.BeginErrorReadLine();
    }

    public Process Process { get; }

    public Stopwatch Clock { get; }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_tail)
        {
            _tail.Enqueue(line);
            while (_tail.Count > 40)
            {
                _tail.Dequeue();
            }
        }
    }

    /// <summary>CPU seconds (utime + stime) and peak RSS in MiB (VmHWM), read from /proc while it runs.</summary>
    public (double CpuSeconds, double PeakRssMib) Usage()
    {
        var stat = File.ReadAllText($"/proc/{Process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        double hwmKib = 0;
        foreach (var line in File.ReadLines($"/proc/{Process.Id}/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                hwmKib = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        return ((double)ticks / BenchHost.ClockTicksPerSecond, hwmKib / 1024);
    }

    public void Fail(string why)
    {
        Console.WriteLine($"{Process.StartInfo.FileName} {why} (exited: {Process.HasExited}); its last output:");
        lock (_tail)
        {
            foreach (var line in _tail)
            {
                Console.WriteLine("  | " + line);
            }
        }
    }

    /// <summary>SIGTERM, then a kill after 15 s.</summary>
    public async Task StopAsync()
    {
        if (Process.HasExited)
        {
            return;
        }
        using (var kill = Process.Start("kill", ["-TERM", Process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().ConfigureAwait(false);
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await Process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit();
        }
        Process.Dispose();
    }
}

using System.Globalization;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// CPU time the whole machine spent busy (every process, every core), from the first line of /proc/stat: less what a
/// measured process spent, it is what other processes took from the cores meanwhile.
/// </summary>
internal static class MachineCpu
{
    public static TimeSpan Busy()
    {
        using var stat = new StreamReader("/proc/stat");
        // cpu user nice system idle iowait irq softirq steal ...: busy is everything but idle and iowait.
        var fields = (stat.ReadLine() ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long busy = 0;
        for (var i = 1; i < fields.Length && i <= 8; i++)
        {
            if (i is not (4 or 5))
            {
                busy += long.Parse(fields[i], CultureInfo.InvariantCulture);
            }
        }
        return TimeSpan.FromSeconds((double)busy / BenchHost.ClockTicksPerSecond);
    }
}

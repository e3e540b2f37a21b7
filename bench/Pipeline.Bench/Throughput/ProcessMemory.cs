using System.Globalization;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// A process's proportional set size (PSS, from /proc/PID/smaps_rollup): its private pages plus its share of pages
/// it maps with other processes. Summed over a parent and its children it counts the .NET runtime's shared code once,
/// where RSS would count it in every process.
/// </summary>
internal static class ProcessMemory
{
    public static double ProportionalSetMib(int processId)
    {
        foreach (var line in File.ReadLines($"/proc/{processId}/smaps_rollup"))
        {
            if (line.StartsWith("Pss:", StringComparison.Ordinal))
            {
                return long.Parse(line["Pss:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
            }
        }
        throw new InvalidOperationException($"/proc/{processId}/smaps_rollup has no Pss line");
    }
}

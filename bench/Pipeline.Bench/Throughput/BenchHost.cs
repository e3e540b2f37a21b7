using System.Net;
using System.Net.Sockets;

namespace Pipeline.Bench.Throughput;

/// <summary>What the child-process benchmarks need to know about the machine they run on.</summary>
internal static class BenchHost
{
    /// <summary>USER_HZ: the unit of utime and stime in /proc/[pid]/stat, 100 on every Linux this runs on.</summary>
    public const long ClockTicksPerSecond = 100;

    public static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
            {
                return dir.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

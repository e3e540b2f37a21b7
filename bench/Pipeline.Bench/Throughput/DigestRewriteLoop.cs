using System.Diagnostics;
using System.Globalization;
using Pipeline.Events;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// <c>Pipeline.Bench digest-rewrite-loop SECONDS</c>: the isolates comparison's <see cref="TwoProcessCeiling"/> child.
/// <see cref="DigestRewrite"/> on copies of the input event in a loop on one thread, no isolates; prints its own rate,
/// measured for SECONDS after half a second of warm-up.
/// </summary>
internal static class DigestRewriteLoop
{
    public const string Command = "digest-rewrite-loop";

    public static int Run(string[] args)
    {
        var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 2;
        var template = Event.Parse(DigestRewrite.InputJson);
        long checksum = 0;
        Loop(template, TimeSpan.FromSeconds(0.5), ref checksum);
        var clock = Stopwatch.StartNew();
        var events = Loop(template, TimeSpan.FromSeconds(seconds), ref checksum);
        clock.Stop();
        Console.WriteLine(TwoProcessCeiling.RateLine(Command, events / clock.Elapsed.TotalSeconds, checksum));
        return 0;
    }

    private static long Loop(Event template, TimeSpan duration, ref long checksum)
    {
        var clock = Stopwatch.StartNew();
        long events = 0;
        while (clock.Elapsed < duration)
        {
            // The clock is read once per 256 events, so what is timed is the transform, not the clock.
            for (var i = 0; i < 256; i++)
            {
                var evt = template.Clone();
                DigestRewrite.Apply(evt);
                checksum += evt.EstimatedSize;
                evt.Release();
            }
            events += 256;
        }
        return events;
    }
}

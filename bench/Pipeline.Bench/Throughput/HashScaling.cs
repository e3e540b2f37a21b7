using System.Globalization;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Processors;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// How the CPU-bound hash stage (SHA-256 of a 1 KiB field) scales from 1 to 2 isolates, each figure a
/// <see cref="StageDrain"/> of pre-filled mailboxes, against the <see cref="HashCeiling"/> measured in the same run.
/// </summary>
internal static class HashScaling
{
    // This is a shared 2-vCPU machine: single runs vary by several percent, so each figure is the best of several.
    private const int Runs = 5;

    public static async Task RunAsync(int events)
    {
        var rates = new Dictionary<int, double>();
        foreach (var isolates in new[] { 1, 2 })
        {
            await MeasureAsync(isolates, events / 4).ConfigureAwait(false); // warm-up
            var best = 0.0;
            for (var run = 0; run < Runs; run++)
            {
                best = Math.Max(best, await MeasureAsync(isolates, events).ConfigureAwait(false));
            }
            rates[isolates] = best;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"hash isolates={isolates} events={events} field_bytes=1024 events_per_s={best:N0} (best of {Runs})"));
        }
        var speedup = rates[2] / rates[1];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hash speedup_2_vs_1={speedup:F2}x"));
        // The ceiling, measured in the same run: what two processes reach on this machine now.
        var ceiling = await HashCeiling.MeasureAsync(events).ConfigureAwait(false);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hash speedup_of_ceiling={speedup / ceiling:P0} (2 isolates {speedup:F2}x, two processes {ceiling:F2}x)"));
    }

    private static async Task<double> MeasureAsync(int isolates, int events)
    {
        var factory = new HashConfig { Fields = [FieldPath.Parse(".payload")] }.Build(new ComponentContext("hash", "bench", Path.GetTempPath()));
        var template = Event.Parse($$"""{"message":"payment accepted","payload":"{{new string('p', 1024)}}"}""");
        var (elapsed, _, _) = await StageDrain.RunAsync("hash", factory, isolates, template, events).ConfigureAwait(false);
        return events / elapsed.TotalSeconds;
    }
}

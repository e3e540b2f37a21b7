using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// The ceiling the hash stage's 2-isolate speedup is held to: how much faster two separate processes, each hashing the
/// same 1 KiB in a loop, get through the work than one does, on this machine and now. Two processes share nothing
/// but the cores and their caches, so no runtime can scale better; what two isolates reach is judged against this.
/// </summary>
internal static class HashCeiling
{
    private const int Runs = 3;

    /// <summary><c>Pipeline.Bench hash-loop N</c>: the child. SHA-256 of a 1 KiB field and its hex encoding, as the
    /// hash processor does per event; prints its own rate, measured after a warm-up.</summary>
    public static int RunLoop(string[] args)
    {
        var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 400_000;
        var field = new byte[1024];
        field.AsSpan().Fill((byte)'p');
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> encoded = stackalloc byte[2 * SHA256.HashSizeInBytes];
        var checksum = 0;
        for (var i = 0; i < count / 8; i++)
        {
            checksum += Hash(field, digest, encoded);
        }
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            checksum += Hash(field, digest, encoded);
        }
        clock.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hash-loop events_per_s={count / clock.Elapsed.TotalSeconds:F0} checksum={checksum}"));
        return 0;
    }

    /// <summary>Runs one loop alone, then two at once (best of <see cref="Runs"/> each); returns the two's summed rate over the one's.</summary>
    public static async Task<double> MeasureAsync(int events)
    {
        var alone = 0.0;
        var together = 0.0;
        for (var run = 0; run < Runs; run++)
        {
            alone = Math.Max(alone, (await Task.WhenAll(RunChildAsync(events)).ConfigureAwait(false)).Sum());
            together = Math.Max(together, (await Task.WhenAll(RunChildAsync(events), RunChildAsync(events)).ConfigureAwait(false)).Sum());
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"hash ceiling: one process {alone:N0} events/s, two processes {together:N0} events/s together = {together / alone:F2}x (best of {Runs})"));
        return together / alone;
    }

    private static int Hash(ReadOnlySpan<byte> field, Span<byte> digest, Span<byte> encoded)
    {
        SHA256.HashData(field, digest);
        Convert.TryToHexStringLower(digest, encoded, out _);
        return encoded[0];
    }

    private static async Task<double> RunChildAsync(int events)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { typeof(HashCeiling).Assembly.Location, "hash-loop", events.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(argument);
        }
        using var child = Process.Start(info) ?? throw new InvalidOperationException("could not start the hash loop");
        var output = await child.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        await child.WaitForExitAsync().ConfigureAwait(false);
        const string Marker = "events_per_s=";
        var at = output.IndexOf(Marker, StringComparison.Ordinal);
        if (child.ExitCode != 0 || at < 0)
        {
            throw new InvalidOperationException($"the hash loop failed (exit {child.ExitCode}): {output}");
        }
        var rate = output[(at + Marker.Length)..].Split(' ')[0];
        return double.Parse(rate, CultureInfo.InvariantCulture);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// The hash stage's <see cref="TwoProcessCeiling"/>: two processes each hashing the same 1 KiB in a loop, against one.
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
        Console.WriteLine(TwoProcessCeiling.RateLine("hash-loop", count / clock.Elapsed.TotalSeconds, checksum));
        return 0;
    }

    /// <summary>Runs one loop alone, then two at once (best of <see cref="Runs"/> each); returns the two's summed rate over the one's.</summary>
    public static Task<double> MeasureAsync(int events) =>
        TwoProcessCeiling.MeasureAsync("hash", ["hash-loop", events.ToString(CultureInfo.InvariantCulture)], Runs);

    private static int Hash(ReadOnlySpan<byte> field, Span<byte> digest, Span<byte> encoded)
    {
        SHA256.HashData(field, digest);
        Convert.TryToHexStringLower(digest, encoded, out _);
        return encoded[0];
    }
}

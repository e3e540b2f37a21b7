using System.Text;

namespace Pipeline.Fuzzing;

/// <summary>
/// What is fuzzed, shared by the CI tests (tests/Pipeline.Tests/Fuzz) and the long mode (Pipeline.Bench fuzz): the
/// same generators and properties, different budgets.
/// </summary>
public static class FuzzTargets
{
    /// <summary>The fixed seed of the CI runs. Changing it changes every CI input: do it only on purpose.</summary>
    public const string CiSeed = "0000000000J1";

    public static FuzzTarget EventParsing { get; } = new("event-parse",
        budget => FuzzRun.Run(HostileGen.EventText, ParserProperties.EventParseAndDeferredParseAgree, budget, Show));

    public static FuzzTarget Traceparent { get; } = new("traceparent",
        budget => FuzzRun.Run(HostileGen.Traceparent, ParserProperties.TraceparentMatchesTheW3CGrammar, budget));

    public static FuzzTarget ContainerLines { get; } = new("container-lines",
        budget => FuzzRun.Run(HostileGen.ContainerLines, ParserProperties.ContainerDecodersCope, budget, lines => string.Join(" ⏎ ", lines.Select(Show))));

    public static FuzzTarget HttpIngest { get; } = new("http-ingest", async budget =>
    {
        var property = await HttpIngestProperty.StartAsync().ConfigureAwait(false);
        await using (property.ConfigureAwait(false))
        {
            try
            {
                var iterations = await FuzzRun.RunAsync(HostileGen.IngestRequest(HttpIngestProperty.MaxBody), property.CheckAsync, budget).ConfigureAwait(false);
                property.CheckHeapBounded();
                return iterations;
            }
            finally
            {
                LastHeapGrowthBytes = property.HeapGrowthBytes;
            }
        }
    });

    public static IReadOnlyList<FuzzTarget> All { get; } = [EventParsing, Traceparent, ContainerLines, HttpIngest];

    /// <summary>How much the managed heap grew over the last http-ingest run (after full collections), for the long mode's report.</summary>
    public static long LastHeapGrowthBytes { get; private set; }

    /// <summary>Bytes as text for a failure report: printable ASCII as it is, any other byte as \xNN, cut at 400 bytes.</summary>
    public static string Show(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var shown = new StringBuilder();
        foreach (var b in bytes.AsSpan(0, Math.Min(bytes.Length, 400)))
        {
            shown.Append(b is >= 0x20 and < 0x7F ? (char)b : $"\\x{b:X2}");
        }
        return bytes.Length > 400 ? $"{shown}… ({bytes.Length} bytes)" : shown.ToString();
    }
}

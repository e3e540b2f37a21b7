using System.Globalization;
using System.Text;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// The compare benchmark's input: a web service's structured log as NDJSON, a fifth of it debug, about 225 bytes a
/// line (ten fields, a 32-hex trace id among them; the shortest realistic line of this shape is already over 200).
/// Deterministic (seed 11), so every variant and every run sees the same bytes.
/// </summary>
internal static class CompareInput
{
    private static readonly string[] Services = ["checkout", "cart", "payments", "search", "frontend", "catalog", "users", "orders"];
    private static readonly string[] Methods = ["GET", "GET", "GET", "POST", "PUT", "DELETE"];
    private static readonly string[] Routes = ["/api/orders/{0}", "/api/users/{0}/profile", "/api/cart/{0}/items", "/api/search?q=item{0}", "/api/payments/{0}", "/healthz"];
    private static readonly string[] NonDebugLevels = ["info", "info", "info", "info", "info", "info", "warn", "error"];

    /// <summary>Writes <paramref name="events"/> lines to <paramref name="path"/>; returns the bytes written.</summary>
    public static long Write(string path, int events)
    {
        var random = new Random(11);
        var time = new DateTime(2026, 12, 4, 6, 0, 0, DateTimeKind.Utc);
        var line = new StringBuilder(512);
        Span<byte> traceId = stackalloc byte[16];
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), 1 << 20);
        for (var i = 0; i < events; i++)
        {
            time = time.AddTicks(random.Next(1, 20_000));
            var level = random.Next(5) == 0 ? "debug" : NonDebugLevels[random.Next(NonDebugLevels.Length)];
            var status = level switch { "error" => 500 + random.Next(4), "warn" => 429, _ => 200 + random.Next(2) * 4 };
            var route = string.Format(CultureInfo.InvariantCulture, Routes[random.Next(Routes.Length)], random.Next(1, 10_000));
            random.NextBytes(traceId);
            line.Clear();
            line.Append(CultureInfo.InvariantCulture,
                $$"""{"timestamp":"{{time:yyyy-MM-ddTHH:mm:ss.fff}}Z","level":"{{level}}","service":"{{Services[random.Next(Services.Length)]}}","host":"node-{{random.Next(1, 40):D2}}","message":"{{Methods[random.Next(Methods.Length)]}} {{route}} {{status}}","status":{{status}},"duration_ms":{{random.NextDouble() * 800:F1}},"trace_id":"{{Convert.ToHexStringLower(traceId)}}","user":"u-{{random.Next(1, 10_000)}}"}""")
                .Append('\n');
            writer.Write(line);
        }
        writer.Flush();
        return writer.BaseStream.Length;
    }

    /// <summary>
    /// Request bodies for the http variant: consecutive runs of <paramref name="linesPerBody"/> lines of the input,
    /// encoded once so that the load driver spends its CPU on sending, not on building bodies.
    /// </summary>
    public static List<byte[]> Bodies(string path, int bodies, int linesPerBody)
    {
        var result = new List<byte[]>(bodies);
        var body = new StringBuilder(linesPerBody * 220);
        var inBody = 0;
        while (result.Count < bodies)
        {
            foreach (var line in File.ReadLines(path))
            {
                body.Append(line).Append('\n');
                if (++inBody == linesPerBody)
                {
                    result.Add(Encoding.UTF8.GetBytes(body.ToString()));
                    body.Clear();
                    inBody = 0;
                    if (result.Count == bodies)
                    {
                        break;
                    }
                }
            }
        }
        return result;
    }
}

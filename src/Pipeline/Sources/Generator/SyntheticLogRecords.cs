using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Pipeline.Sources.Generator;

/// <summary>
/// Renders realistic web-service log records for the generator: an info-heavy level mix whose warn and error
/// records carry 4xx and 5xx statuses and slower durations, an email in <c>user</c> for redact to find, and a
/// 16-hex-digit <c>request_id</c>.
/// </summary>
internal static class SyntheticLogRecords
{
    public static readonly DateTime ReproducibleEpoch = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static readonly string[] Services = ["checkout", "payments", "catalog", "auth", "search", "cart", "shipping", "frontend"];
    private static readonly string[] FirstNames = ["ana", "ben", "chloe", "dev", "emma", "femi", "gus", "hana", "ivan", "jo", "kai", "li"];
    private static readonly string[] LastNames = ["li", "smith", "diaz", "okoro", "kim", "novak", "silva", "patel", "berg", "ross"];
    private static readonly string[] Paths = ["/orders/{0}", "/users/{0}/cart", "/products/{0}", "/search?q=item{0}", "/login", "/healthz"];
    private static readonly string[] InfoMessages = ["completed", "cache hit", "created", "renewed"];
    private static readonly string[] WarnMessages = ["slow", "throttled", "not found", "expired"];
    private static readonly string[] ErrorMessages = ["timeout", "db down", "exception", "reset"];
    private static readonly int[] InfoStatuses = [200, 200, 200, 200, 200, 201, 204, 304];
    private static readonly int[] WarnStatuses = [404, 404, 429, 401, 400];
    private static readonly int[] ErrorStatuses = [500, 502, 503, 504];

    // Relaxed escaping writes a nested record's quotes as \" (as container runtimes do), not as \u0022.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Renders <paramref name="count"/> UTF-8 JSON payloads; the same seed and epoch give the same bytes.</summary>
    public static byte[][] Render(GeneratorSourceConfig.EventShape shape, int count, int seed, DateTime epoch)
    {
        var random = new Random(seed);
        var record = new ArrayBufferWriter<byte>(512);
        var wrapped = new ArrayBufferWriter<byte>(1024);
        using var recordWriter = new Utf8JsonWriter(record, WriterOptions);
        using var wrappedWriter = new Utf8JsonWriter(wrapped, WriterOptions);
        var payloads = new byte[count][];
        var time = epoch;
        for (var i = 0; i < count; i++)
        {
            time = time.AddTicks(random.Next(1, 20_000) * TimeSpan.TicksPerMicrosecond / 10);
            record.ResetWrittenCount();
            recordWriter.Reset();
            var level = WriteRecord(recordWriter, random, time);
            recordWriter.Flush();
            if (shape == GeneratorSourceConfig.EventShape.Object)
            {
                payloads[i] = record.WrittenSpan.ToArray();
                continue;
            }
            wrapped.ResetWrittenCount();
            wrappedWriter.Reset();
            wrappedWriter.WriteStartObject();
            var line = new byte[record.WrittenCount + 1];
            record.WrittenSpan.CopyTo(line);
            line[^1] = (byte)'\n';
            wrappedWriter.WriteString("log", line);
            wrappedWriter.WriteString("stream", level == "info" ? "stdout" : "stderr");
            wrappedWriter.WriteString("time", time.ToString("yyyy-MM-ddTHH:mm:ss.fffffff'00'Z", CultureInfo.InvariantCulture));
            wrappedWriter.WriteEndObject();
            wrappedWriter.Flush();
            payloads[i] = wrapped.WrittenSpan.ToArray();
        }
        return payloads;
    }

    private static string WriteRecord(Utf8JsonWriter writer, Random random, DateTime time)
    {
        var roll = random.NextDouble();
        var (level, statuses, messages, slowdown) = roll switch
        {
            < 0.85 => ("info", InfoStatuses, InfoMessages, 1.0),
            < 0.96 => ("warn", WarnStatuses, WarnMessages, 3.0),
            _ => ("error", ErrorStatuses, ErrorMessages, 8.0),
        };
        var service = Pick(random, Services);
        var method = random.NextDouble() switch
        {
            < 0.70 => "GET",
            < 0.90 => "POST",
            < 0.96 => "PUT",
            _ => "DELETE",
        };
        // Log-normal around ~20 ms: most requests are quick, a long tail is not.
        var duration = Math.Round(Math.Exp(3 + (Gaussian(random) * 0.8)) * slowdown, 1);

        writer.WriteStartObject();
        writer.WriteString("timestamp", time.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        writer.WriteString("level", level);
        writer.WriteString("service", service);
        writer.WriteString("host", $"web-{random.Next(1, 13)}");
        writer.WriteString("method", method);
        writer.WriteString("path", string.Format(CultureInfo.InvariantCulture, Pick(random, Paths), random.Next(1000, 99999)));
        writer.WriteNumber("status", Pick(random, statuses));
        writer.WriteNumber("duration_ms", duration);
        writer.WriteString("user", $"{Pick(random, FirstNames)}.{Pick(random, LastNames)}{random.Next(1, 100)}@example.com");
        writer.WriteString("request_id", random.NextInt64().ToString("x16", CultureInfo.InvariantCulture));
        writer.WriteString("message", Pick(random, messages));
        writer.WriteEndObject();
        return level;
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];

    private static double Gaussian(Random random)
    {
        // Box-Muller: Random has no normal distribution of its own.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}

using System.IO.Compression;
using System.Text;
using CsCheck;

namespace Pipeline.Fuzzing;

// Whole ingest requests: an NDJSON or JSON body, maybe gzip (whole, in several members, truncated, corrupted, or a
// bomb), with Content-Type, Content-Encoding and trace context headers valid, odd or wrong.
public static partial class HostileGen
{
    private static Gen<byte[]> NdjsonBody => Gen.Frequency(
        (8, Gen.Select(Gen.Select(EventText, Gen.OneOf("\n", "\r\n", "\n\n", "\n \t\r\n")).Array[0, 20], Gen.Bool, Gen.Frequency((9, Gen.Const(false)), (1, Gen.Const(true))),
            (lines, finalNewline, bom) =>
            {
                var body = new List<byte>();
                if (bom)
                {
                    body.AddRange("\uFEFF"u8.ToArray());
                }
                for (var i = 0; i < lines.Length; i++)
                {
                    body.AddRange(lines[i].Item1);
                    if (i < lines.Length - 1 || finalNewline)
                    {
                        body.AddRange(Encoding.ASCII.GetBytes(lines[i].Item2));
                    }
                }
                return body.ToArray();
            })),
        (1, Gen.OneOf([.. HostileInputs.NdjsonBodies]).Select(i => i.Bytes)),
        (1, Mutated(Gen.OneOf([.. HostileInputs.NdjsonBodies]).Select(i => i.Bytes))));

    private static Gen<byte[]> JsonBody => Gen.Frequency(
        (6, Gen.Select(EventText.Array[0, 12], Gen.OneOf(",", ", ", ",\n"), (items, separator) =>
            (byte[])[.. "["u8, .. items.SelectMany((item, i) => i == 0 ? item : [.. Encoding.ASCII.GetBytes(separator), .. item]), .. "]"u8])),
        (2, ValidEvent.Select(Encoding.UTF8.GetBytes)),
        (1, Gen.OneOf([.. HostileInputs.JsonBodies]).Select(i => i.Bytes)),
        (1, Mutated(Gen.OneOf([.. HostileInputs.JsonBodies]).Select(i => i.Bytes))));

    /// <summary>A body that decompresses to far more than <paramref name="maxBody"/> from a few KiB: zeros, newlines, or one line repeated.</summary>
    private static Gen<byte[]> Bomb(int maxBody) => Gen.Select(Gen.Int[2, 32], Gen.Int[0, 2], (times, fill) =>
    {
        var plain = new byte[(long)maxBody * times > 16 * 1024 * 1024 ? 16 * 1024 * 1024 : maxBody * times];
        switch (fill)
        {
            case 1:
                plain.AsSpan().Fill((byte)'\n');
                break;
            case 2:
                for (var i = 0; i < plain.Length; i++)
                {
                    plain[i] = "{\"a\":1}\n"u8[i % 8];
                }
                break;
        }
        return plain;
    });

    private static Gen<string> HeaderTraceparent => Traceparent.Where(value => value.All(c => c is >= ' ' and <= '~'));

    /// <summary>A POST to the http source, for a source whose max_body is <paramref name="maxBody"/>.</summary>
    public static Gen<IngestRequest> IngestRequest(int maxBody) => Gen.Select(
        Gen.OneOf([.. HostileInputs.ContentTypes]).Select(t => (t.Value, t.Accepted)),
        Gen.Frequency((5, Gen.Const((Value: (string?)null, Coding: ContentCoding.Identity))), (5, Gen.OneOf([.. HostileInputs.ContentEncodings]))),
        Gen.Bool,
        Gen.Frequency((3, Gen.Const(Array.Empty<string>())), (6, HeaderTraceparent.Array[1, 1]), (1, HeaderTraceparent.Array[2, 3])),
        Gen.Frequency((4, Gen.Const((string?)null)), (1, Gen.OneOf("a=b", "vendor=x,other=y", ",,,", "=", new string('t', 600)))),
        Gen.Int[0, 9],
        Gen.Int.NonNegative)
        .SelectMany(headers =>
        {
            var ((contentType, accepted), (encoding, coding), jsonShaped, traceparents, tracestate, gzipShape, cut) = headers;
            var plainGen = (contentType ?? "").Contains("ndjson", StringComparison.OrdinalIgnoreCase) || !jsonShaped ? NdjsonBody : JsonBody;
            return (coding == ContentCoding.Gzip && gzipShape == 9 ? Bomb(maxBody) : plainGen).Select(plain =>
            {
                var (body, readable) = coding != ContentCoding.Gzip ? (plain, plain) : gzipShape switch
                {
                    < 5 or 9 => (Gzip(plain), plain),
                    5 or 6 => (ConcatenatedMembers(plain, cut), plain),
                    7 => (Truncated(Gzip(plain), cut), (byte[]?)null),
                    _ => (Corrupted(Gzip(plain), cut), (byte[]?)null),
                };
                return new IngestRequest(body, readable, string.IsNullOrEmpty(contentType) ? null : contentType, accepted, encoding, coding, traceparents, tracestate);
            });
        });

    public static byte[] Gzip(ReadOnlySpan<byte> plain)
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest))
        {
            gzip.Write(plain);
        }
        return compressed.ToArray();
    }

    /// <summary>Two gzip members back to back (RFC 1952 allows it; gzip -c a b does it).</summary>
    private static byte[] ConcatenatedMembers(byte[] plain, int cut)
    {
        var at = cut % (plain.Length + 1);
        return [.. Gzip(plain.AsSpan(0, at)), .. Gzip(plain.AsSpan(at))];
    }

    // GZipStream writes nothing at all for an empty input, so there may be nothing to cut or corrupt.
    private static byte[] Truncated(byte[] gzip, int cut) => gzip.Length == 0 ? gzip : gzip[..(cut % gzip.Length)];

    private static byte[] Corrupted(byte[] gzip, int cut)
    {
        var corrupted = (byte[])gzip.Clone();
        if (corrupted.Length == 0)
        {
            return corrupted;
        }
        corrupted[cut % corrupted.Length] ^= (byte)(1 + (cut % 255));
        return corrupted;
    }
}

using System.Globalization;
using System.Text;
using CsCheck;

namespace Pipeline.Fuzzing;

// JSON texts: valid events to start from, and mutations of them that a hostile or broken client would send. The
// generators are properties, built on each use, so no static initializer depends on another's order across files.
public static partial class HostileGen
{
    /// <summary>Bytes a mutation splices in: the ones parsers get wrong (UTF-8 edge cases, NUL, BOM, line ends, escapes).</summary>
    private static readonly byte[][] Splices =
    [
        [0], [(byte)'\n'], [(byte)'\r', (byte)'\n'], [(byte)'\r'], [0xEF, 0xBB, 0xBF], [0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80],
        [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xC3], "\\uD800"u8.ToArray(), "\\uDC00"u8.ToArray(), "\\u0000"u8.ToArray(),
        "\\"u8.ToArray(), "\""u8.ToArray(), "{"u8.ToArray(), "}"u8.ToArray(), "["u8.ToArray(), "]"u8.ToArray(), ","u8.ToArray(),
        ":"u8.ToArray(), "1e999999"u8.ToArray(), "-"u8.ToArray(), "\"a\":1,"u8.ToArray(), "\"a\":"u8.ToArray(),
    ];

    private static readonly string[] Keys = ["a", "b", "message", "level", "n", "traceparent", "", "\\u00e9", "k\\n", "a"];

    private static readonly string[] Numbers =
        ["0", "-0", "1", "-1", "3.14", "1e10", "-2.5E-3", "9223372036854775807", "-9223372036854775809", "18446744073709551616",
         "1" + new string('0', 400), "0." + new string('1', 400), "1e308", "1e-400", "123456789012345678901234567890"];

    private static readonly string[] Strings =
        ["", "x", "hello world", "h\\u00e9llo", "\\ud83d\\ude00", "tab\\there", "q\\\"uote", "back\\\\slash", "é€😀",
         "\\u0001\\u001f", "\\/", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"];

    private static Gen<string> Scalar => Gen.Frequency(
        (3, Gen.OneOf(Numbers)),
        (2, Gen.Long.Select(n => n.ToString(CultureInfo.InvariantCulture))),
        (4, Gen.OneOf(Strings).Select(s => "\"" + s + "\"")),
        (2, Gen.String[Gen.Char['a', 'z'], 0, 40].Select(s => "\"" + s + "\"")),
        (1, Gen.Int[0, 70_000].Select(n => "\"" + new string('x', n) + "\"")),
        (2, Gen.OneOf("true", "false", "null")));

    /// <summary>A JSON value nested up to <paramref name="depth"/> levels, with duplicate keys now and then.</summary>
    private static Gen<string> Value(int depth) => depth == 0
        ? Scalar
        : Gen.Frequency((4, Scalar), (1, ObjectText(depth - 1)), (1, Value(depth - 1).Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")));

    private static Gen<string> ObjectText(int depth)
        => Gen.Select(Gen.OneOf(Keys), Value(depth)).Array[0, 6]
            .Select(members => "{" + string.Join(",", members.Select(m => "\"" + m.Item1 + "\":" + m.Item2)) + "}");

    /// <summary>A valid event: a JSON object a well-behaved client would send.</summary>
    public static Gen<string> ValidEvent => ObjectText(3);

    /// <summary>
    /// Objects of up to hundreds of members with few distinct keys, some spelled with escapes ("a" and "\u0061" are
    /// one key): past 32 members Event.Parse resolves duplicates with a hash table instead of comparing siblings.
    /// </summary>
    public static Gen<string> WideObject => Gen.Select(
        Gen.OneOf("a", "\\u0061", "b", "\\u0062", "ab", "a\\u0062", "k", "\\u006b", "é", "\\u00e9").Array[1, 6], Gen.Int[1, 400], Gen.Int[0, 1000],
        (keys, count, salt) =>
        {
            var members = Enumerable.Range(0, count).Select(i =>
            {
                var key = keys[(i * 7 + salt) % keys.Length] + (i % 3 == 0 ? "" : (i % 11).ToString(CultureInfo.InvariantCulture));
                var value = i % 5 == 0 ? string.Create(CultureInfo.InvariantCulture, $"{{\"n\":{i},\"n\":{i + 1}}}") : i.ToString(CultureInfo.InvariantCulture);
                return $"\"{key}\":{value}";
            });
            return "{" + string.Join(",", members) + "}";
        });

    /// <summary>Thousands of open brackets or objects, closed or not: what a depth limit is for.</summary>
    public static Gen<string> DeepNesting => Gen.Select(Gen.Int[60, 6000], Gen.Int[0, 3], Gen.Bool, (depth, shape, closed) => shape switch
    {
        0 => "{\"a\":" + new string('[', depth) + (closed ? new string(']', depth) + "}" : ""),
        1 => string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + (closed ? new string('}', depth) : ""),
        2 => new string('[', depth) + (closed ? new string(']', depth) : ""),
        _ => "{\"a\":" + string.Concat(Enumerable.Repeat("[{\"b\":", depth / 2)) + "0" + (closed ? string.Concat(Enumerable.Repeat("}]", depth / 2)) + "}" : ""),
    });

    /// <summary>
    /// One event's text as a hostile client sends it: valid, a valid one mutated a few times, deeply nested, a corpus
    /// entry (mutated or not), or random bytes.
    /// </summary>
    public static Gen<byte[]> EventText => Gen.Frequency(
        (4, ValidEvent.Select(Encoding.UTF8.GetBytes)),
        (6, Mutated(ValidEvent.Select(Encoding.UTF8.GetBytes))),
        (1, DeepNesting.Select(Encoding.UTF8.GetBytes)),
        (2, WideObject.Select(Encoding.UTF8.GetBytes)),
        (1, Mutated(WideObject.Select(Encoding.UTF8.GetBytes))),
        (2, Gen.OneOf([.. HostileInputs.EventTexts]).Select(i => i.Bytes)),
        (2, Mutated(Gen.OneOf([.. HostileInputs.EventTexts]).Select(i => i.Bytes))),
        (1, Gen.Byte.Array[0, 300]));

    /// <summary><paramref name="seed"/>'s bytes after one to four mutations.</summary>
    public static Gen<byte[]> Mutated(Gen<byte[]> seed) => Gen.Select(seed, Mutation.Array[1, 4], (bytes, mutations) =>
    {
        foreach (var mutate in mutations)
        {
            bytes = mutate(bytes);
        }
        return bytes;
    });

    /// <summary>One edit: truncate, flip a bit, drop, repeat, or splice in bytes parsers get wrong.</summary>
    private static Gen<Func<byte[], byte[]>> Mutation => Gen.Select(Gen.Int[0, 5], Gen.Int.NonNegative, Gen.Int.NonNegative, Gen.OneOf(Splices),
        (kind, a, b, splice) => (Func<byte[], byte[]>)(bytes =>
        {
            var at = bytes.Length == 0 ? 0 : a % (bytes.Length + 1);
            var length = bytes.Length - at == 0 ? 0 : 1 + (b % Math.Min(bytes.Length - at, 64));
            return kind switch
            {
                0 => bytes[..at],
                1 when at < bytes.Length => [.. bytes[..at], (byte)(bytes[at] ^ (1 << (b % 8))), .. bytes[(at + 1)..]],
                2 => [.. bytes[..at], .. bytes[(at + length)..]],
                3 => [.. bytes[..(at + length)], .. bytes[at..]],
                _ => [.. bytes[..at], .. splice, .. bytes[at..]],
            };
        }));
}

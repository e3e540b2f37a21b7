using System.Text;
using CsCheck;

namespace Pipeline.Fuzzing;

// Physical container log lines (CRI and Docker json-file): what a node, or whatever wrote into the log directory, hands the file source.
public static partial class HostileGen
{
    private static Gen<string> Timestamp => Gen.Frequency(
        (6, Gen.Select(Gen.DateTime, Gen.Int[0, 9], (time, digits) => time.ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)
            + (digits == 0 ? "" : "." + new string('7', digits)) + "Z")),
        (1, Gen.OneOf("yesterday", "", "2024-05-01T10:00:00.Z", "2024-05-01T10:00:00+02:00", "2024-13-45T99:99:99Z", "2024-05-01T10:00:00." + new string('9', 100) + "Z")));

    private static Gen<string> StreamName => Gen.Frequency((8, Gen.OneOf("stdout", "stderr")), (1, Gen.OneOf("stdin", "", "STDOUT", "std\\u006fut")));

    private static Gen<string> Message => Gen.Frequency(
        (6, Gen.String[Gen.Char[' ', '~'], 0, 60]),
        (1, Gen.Int[0, 400].Select(n => new string('m', n))),
        (1, Gen.OneOf("é€😀", "", " ", "\t")));

    private static Gen<byte[]> CriLine => Gen.Select(Timestamp, StreamName, Gen.Frequency((8, Gen.OneOf("F", "P")), (1, Gen.OneOf("", "X", "F:x", "P:y:z"))), Message,
        (time, stream, tag, message) => Encoding.UTF8.GetBytes($"{time} {stream} {tag} {message}"));

    private static Gen<byte[]> DockerLine => Gen.Select(Timestamp, StreamName, Message, Gen.Bool, Gen.Bool,
        (time, stream, message, final, reordered) => Encoding.UTF8.GetBytes(reordered
            ? $"{{\"time\":\"{time}\",\"stream\":\"{stream}\",\"log\":\"{Escape(message)}{(final ? "\\n" : "")}\"}}"
            : $"{{\"log\":\"{Escape(message)}{(final ? "\\n" : "")}\",\"stream\":\"{stream}\",\"time\":\"{time}\"}}"));

    /// <summary>A sequence of physical lines for one decoder: well-formed CRI or Docker lines, mutated ones, corpus lines, random bytes.</summary>
    public static Gen<byte[][]> ContainerLines => Gen.Frequency(
        (4, CriLine),
        (4, DockerLine),
        (4, Mutated(Gen.OneOf(CriLine, DockerLine))),
        (2, Gen.OneOf([.. HostileInputs.ContainerLines]).Select(i => i.Bytes)),
        (1, Mutated(Gen.OneOf([.. HostileInputs.ContainerLines]).Select(i => i.Bytes))),
        (1, Gen.Byte.Array[0, 200])).Array[1, 30];

    private static string Escape(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}

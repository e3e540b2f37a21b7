using CsCheck;

namespace Pipeline.Fuzzing;

// traceparent values: well-formed ones from their parts, then edits at the places the W3C grammar is strict about.
public static partial class HostileGen
{
    private const string Hex = "0123456789abcdef";

    private static Gen<string> HexDigits(int length) => Gen.Frequency(
        (8, Gen.String[Gen.Char[Hex], length, length]),
        (1, Gen.Const(new string('0', length))),
        (1, Gen.String[Gen.Char["0123456789abcdefABCDEF"], length, length]));

    private static Gen<string> Version => Gen.Frequency((6, Gen.Const("00")), (3, HexDigits(2)), (1, Gen.OneOf("ff", "FF", "0g", "-0")));

    /// <summary>A traceparent built field by field (any version, sometimes all-zero ids or uppercase), maybe with a future version's tail.</summary>
    private static Gen<string> WellFormedTraceparent => Gen.Select(Version, HexDigits(32), HexDigits(16), HexDigits(2),
        Gen.Frequency((6, Gen.Const("")), (1, Gen.OneOf("-", "-extra", "-0-1-2", "x", "-" + new string('f', 300)))),
        (version, trace, parent, flags, tail) => $"{version}-{trace}-{parent}-{flags}{tail}");

    /// <summary>traceparent header or field values: well-formed, edited at one character, cut, or any string.</summary>
    public static Gen<string> Traceparent => Gen.Frequency(
        (6, WellFormedTraceparent),
        (4, Gen.Select(WellFormedTraceparent, Gen.Int.NonNegative, Gen.Char[" -_xX0fF\0é\t."], (value, at, c) =>
            value[..(at % value.Length)] + c + value[((at % value.Length) + 1)..])),
        (2, Gen.Select(WellFormedTraceparent, Gen.Int.NonNegative, (value, at) => value[..(at % (value.Length + 1))])),
        (2, Gen.OneOf([.. HostileInputs.Traceparents])),
        (1, Gen.String[0, 80]));
}

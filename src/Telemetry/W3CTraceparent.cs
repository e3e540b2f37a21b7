using System.Buffers;
using System.Diagnostics;
using System.Globalization;

namespace Pipeline.Telemetry;

/// <summary>
/// The W3C Trace Context traceparent as the sources receive it (a request header, a field of a line):
/// <c>version-traceid-parentid-flags</c>, lowercase hex (https://www.w3.org/TR/trace-context/#traceparent-header).
/// </summary>
/// <remarks>
/// Not <see cref="ActivityContext.TryParse(string, string, bool, out ActivityContext)"/>: found by fuzzing
/// (docs/fuzzing.md), it takes any character for the three dashes ("00x…x…x01" was a trace context) and refuses every
/// later version that carries more fields, which the spec asks a receiver to read as far as it knows
/// (https://www.w3.org/TR/trace-context/#versioning-of-traceparent).
/// </remarks>
public static class W3CTraceparent
{
    private const int Version00Length = 55;

    private static readonly SearchValues<char> LowercaseHex = SearchValues.Create("0123456789abcdef");

    /// <summary>
    /// Version: 2 hex digits, not ff. Trace id: 32, not all zero. Parent id: 16, not all zero. Flags: 2. Version 00 is
    /// exactly that; a later version may go on after a '-'. False, with no context, for anything else.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> traceparent, string? traceState, bool isRemote, out ActivityContext context)
    {
        context = default;
        if (traceparent.Length < Version00Length || traceparent[2] != '-' || traceparent[35] != '-' || traceparent[52] != '-')
        {
            return false;
        }
        var version = traceparent[..2];
        var traceId = traceparent.Slice(3, 32);
        var parentId = traceparent.Slice(36, 16);
        var flags = traceparent.Slice(53, 2);
        if (!IsLowercaseHex(version) || version.SequenceEqual("ff") || !IsLowercaseHex(traceId) || !IsLowercaseHex(parentId) || !IsLowercaseHex(flags)
            || !traceId.ContainsAnyExcept('0') || !parentId.ContainsAnyExcept('0'))
        {
            return false;
        }
        if (traceparent.Length > Version00Length && (version.SequenceEqual("00") || traceparent[Version00Length] != '-'))
        {
            return false;
        }
        context = new ActivityContext(
            ActivityTraceId.CreateFromString(traceId), ActivitySpanId.CreateFromString(parentId),
            (ActivityTraceFlags)byte.Parse(flags, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture), traceState, isRemote);
        return true;
    }

    private static bool IsLowercaseHex(ReadOnlySpan<char> text) => !text.ContainsAnyExcept(LowercaseHex);
}

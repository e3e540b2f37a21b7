using System.Diagnostics;
using System.Globalization;

namespace Pipeline.Tests.Observability;

/// <summary>Incoming W3C trace contexts made up by a test, each with a distinct trace id.</summary>
internal static class Traceparents
{
    public static ActivityContext Remote(int n, bool sampled)
    {
        var traceId = ActivityTraceId.CreateFromString(string.Create(CultureInfo.InvariantCulture, $"{n + 1:x8}aaaabbbbccccddddeeeeffff"));
        var spanId = ActivitySpanId.CreateFromString(string.Create(CultureInfo.InvariantCulture, $"{n + 1:x8}12345678"));
        return new ActivityContext(traceId, spanId, sampled ? ActivityTraceFlags.Recorded : ActivityTraceFlags.None, traceState: null, isRemote: true);
    }
}

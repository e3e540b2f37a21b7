using Pipeline.Decoding;
using Pipeline.Events;
using Pipeline.Telemetry;

namespace Pipeline.Fuzzing;

/// <summary>Properties of the parsers that read untrusted bytes, checked directly (no HTTP): each throws <see cref="PropertyViolationException"/> when it does not hold.</summary>
public static class ParserProperties
{
    private const int MaxMergedLineBytes = 64;

    /// <summary>
    /// Event.Parse and Unparsed + EnsureParsed agree on any bytes: both make the same event, or both throw
    /// EventFormatException with the same message (anything else escapes and fails the run). A rejected unparsed event
    /// keeps its text for the dead-letter record; an accepted one writes JSON that parses back to itself and means
    /// what System.Text.Json reads in the text; an object System.Text.Json reads is rejected only for what events
    /// refuse on purpose (a lone surrogate escape).
    /// </summary>
    public static void EventParseAndDeferredParseAgree(byte[] text)
    {
        var direct = ParseNow(text);
        var deferred = ParseDeferred(text);
        PropertyViolationException.ThrowUnless(direct == deferred, $"Event.Parse gave {direct}, Unparsed + EnsureParsed gave {deferred}");
        if (direct.Json is { } json)
        {
            var written = System.Text.Encoding.UTF8.GetBytes(json);
            var again = ParseNow(written);
            PropertyViolationException.ThrowUnless(again.Json == json, $"the written event {json} parsed back to {again}");
            // What the event holds is what System.Text.Json reads in the text, duplicate keys resolved as documented.
            var meant = JsonMeaning.Of(text, Event.MaxDepth);
            PropertyViolationException.ThrowUnless(meant is not null && meant == JsonMeaning.Of(written, Event.MaxDepth),
                $"the event {json} does not mean what System.Text.Json reads: {meant ?? "(not JSON to it)"}");
        }
        else if (JsonMeaning.Of(text, Event.MaxDepth) is ['{', ..] meant)
        {
            PropertyViolationException.ThrowUnless(direct.Error!.Contains("surrogate", StringComparison.OrdinalIgnoreCase),
                $"an object System.Text.Json reads as {meant} was rejected: {direct.Error}");
        }
    }

    /// <summary>The traceparent parser the sources use never throws and accepts exactly what the W3C grammar does, with the same ids and flags.</summary>
    public static void TraceparentMatchesTheW3CGrammar(string value)
    {
        var accepted = W3CTraceparent.TryParse(value, traceState: null, isRemote: true, out var context);
        var valid = W3CTraceparentReference.TryParse(value, out var traceId, out var parentId, out var flags);
        PropertyViolationException.ThrowUnless(accepted == valid, $"the parser {(accepted ? "accepted" : "rejected")} '{value}', which the W3C grammar {(valid ? "accepts" : "rejects")}");
        if (valid)
        {
            PropertyViolationException.ThrowUnless(
                context.TraceId.ToHexString() == traceId && context.SpanId.ToHexString() == parentId && (byte)context.TraceFlags == flags,
                $"'{value}' parsed to {context.TraceId}-{context.SpanId}-{(byte)context.TraceFlags:x2}");
        }
    }

    /// <summary>
    /// A container log decoder (either format) never throws on any sequence of lines: an invalid line says why, a
    /// complete one is a known stream and no longer than the maximum, and flushing empties it.
    /// </summary>
    public static void ContainerDecodersCope(byte[][] lines)
    {
        foreach (var format in new[] { ContainerLogFormat.Cri, ContainerLogFormat.DockerJson })
        {
            var decoder = new ContainerLogDecoder(format, MaxMergedLineBytes);
            foreach (var physical in lines)
            {
                var status = decoder.Decode(physical, out var line, out var error);
                PropertyViolationException.ThrowUnless(status != ContainerLineStatus.Invalid || !string.IsNullOrEmpty(error), $"{format}: an invalid line without a reason");
                if (status == ContainerLineStatus.Complete)
                {
                    CheckLine(format, line);
                }
            }
            for (var flushes = 0; decoder.TryFlush(out var line); flushes++)
            {
                PropertyViolationException.ThrowUnless(flushes < 2, $"{format}: more than one flush per stream");
                CheckLine(format, line);
            }
            PropertyViolationException.ThrowUnless(!decoder.HasPending, $"{format}: pieces still pending after flushing");
        }
    }

    private static void CheckLine(ContainerLogFormat format, ContainerLogLine line)
    {
        PropertyViolationException.ThrowUnless(line.Stream.SequenceEqual("stdout"u8) || line.Stream.SequenceEqual("stderr"u8), $"{format}: a line on an unknown stream");
        PropertyViolationException.ThrowUnless(line.Message.Length <= MaxMergedLineBytes, $"{format}: a {line.Message.Length}-byte message over the {MaxMergedLineBytes}-byte maximum");
    }

    private static ParseOutcome ParseNow(byte[] text)
    {
        Event evt;
        try
        {
            evt = Event.Parse(text);
        }
        catch (EventFormatException ex)
        {
            return new ParseOutcome(null, ex.Message);
        }
        try
        {
            return new ParseOutcome(evt.ToString(), null);
        }
        finally
        {
            evt.Release();
        }
    }

    private static ParseOutcome ParseDeferred(byte[] text)
    {
        var evt = Event.Unparsed(text);
        try
        {
            evt.EnsureParsed();
            return new ParseOutcome(evt.ToString(), null);
        }
        catch (EventFormatException ex)
        {
            PropertyViolationException.ThrowUnless(!evt.IsParsed && evt.UnparsedText.SequenceEqual(text), "a rejected unparsed event lost its text");
            return new ParseOutcome(null, ex.Message);
        }
        finally
        {
            evt.Release();
        }
    }
}

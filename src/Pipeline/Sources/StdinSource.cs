using Pipeline.Components;
using Pipeline.Decoding;
using Pipeline.Events;

namespace Pipeline.Sources;

[Component("stdin", "Reads standard input (NDJSON by default; decoding and framing as in Vector) and finishes at end of input.")]
public sealed class StdinSourceConfig : ISourceConfig, IDecodingSourceConfig
{
    [Option("Longest line accepted; a longer one is reported as invalid input (dead-lettered, cut to this size) and skipped.", Example = "256KiB")]
    public ByteSize MaxLine { get; set; } = new(1024 * 1024);

    [Option("How each frame becomes an event: codec json (the default), text, logfmt or syslog.", Example = "{ codec: text }")]
    public DecodingSettings? Decoding { get; set; }

    [Option("Where each frame ends: method newline_delimited (the default), character_delimited (with character_delimited.delimiter) or bytes (all of the input is one frame, up to max_line).",
        Example = "{ method: character_delimited, character_delimited: { delimiter: \",\" } }")]
    public FramingSettings? Framing { get; set; }

    public DecodingCodec Codec => Decoding?.Codec ?? DecodingCodec.Json;

    public ISourceFactory Build(ComponentContext context)
    {
        if (MaxLine.Bytes <= 0 || MaxLine.Bytes >= Array.MaxLength)
        {
            throw new ComponentBuildException("max_line", $"expected a size between 1 byte and 2GiB, found {MaxLine.Bytes} bytes");
        }
        var maxLine = (int)MaxLine.Bytes;
        var delimiter = Framing is null ? (byte)'\n' : Framing.Delimiter("framing");
        var codec = Codec;
        return new SourceFactory(() => new StdinSource(Console.OpenStandardInput(), maxLine, new FrameDecoder(codec), delimiter));
    }
}

/// <summary>
/// Reads frames (lines by default) from a stream (standard input in production) until end of stream, then returns,
/// so <c>cat events.ndjson | pipeline run</c> drains and exits. Each frame becomes an event through the source's
/// <see cref="FrameDecoder"/>; one it cannot decode is reported as invalid input with its number and skipped; blank
/// frames are ignored. With the json codec, when every consumer is a stage that parses its input
/// (<see cref="ISourceContext.ConsumersParse"/>), lines go on unparsed and the stage's isolates parse them, in
/// parallel: a malformed line is then reported by that stage, with the same line number.
/// </summary>
/// <remarks>
/// Lines are framed in one reusable buffer and parsed in place (no string per line); the events of a read go on in
/// batches of up to <see cref="BatchSize"/> through <see cref="ISourceContext.SendAllAsync"/>, so the per-event cost is
/// the parse and a mailbox write (measured on 1,000,000 lines: the per-line send and its state machines cost a fifth
/// of the pipeline's CPU before).
/// </remarks>
/// <param name="maxLine">max_line in bytes.</param>
/// <param name="delimiter">The byte that ends a frame; null when the whole input is one frame (framing bytes).</param>
public sealed class StdinSource(Stream input, int maxLine, FrameDecoder decoder, byte? delimiter) : ISource
{
    /// <summary>NDJSON, as before decoding and framing existed.</summary>
    public StdinSource(Stream input, int maxLine)
        : this(input, maxLine, new FrameDecoder(DecodingCodec.Json), (byte)'\n')
    {
    }

    /// <summary>How a frame is named in a reason: "line 3", "record 3", "input".</summary>
    private string FrameNoun => delimiter switch
    {
        (byte)'\n' => "line",
        null => "input",
        _ => "record",
    };

    private const int ReadBufferSize = 256 * 1024;
    private const int MaxReportedRawBytes = 64 * 1024;
    private const int BatchSize = 512;

    public async Task RunAsync(ISourceContext context, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(context);
        var buffer = new byte[Math.Min(ReadBufferSize, maxLine + 1)];
        var events = new Event[BatchSize];
        var filled = 0;
        long lineNumber = 0;
        var skippingLongLine = false;
        var parseLater = context.ConsumersParse && decoder.Codec == DecodingCodec.Json;
        var frameEnd = delimiter ?? 0;
        var framed = delimiter is not null;
        while (true)
        {
            int read;
            try
            {
                // Standard input ignores cancellation while it blocks in read(); WaitAsync lets a stop win anyway.
                read = await input.ReadAsync(buffer.AsMemory(filled), stopping).AsTask().WaitAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            filled += read;
            var atEnd = read == 0;

            // Frame and parse every complete line of the buffer (and at the end of input, the last one without a newline).
            var count = 0;
            var start = 0;
            while (start < filled)
            {
                var newline = framed ? buffer.AsSpan(start, filled - start).IndexOf(frameEnd) : -1;
                if (newline < 0 && !atEnd)
                {
                    break;
                }
                var length = newline < 0 ? filled - start : newline;
                var line = buffer.AsSpan(start, length);
                start += newline < 0 ? length : length + 1;
                if (skippingLongLine)
                {
                    // The end of a line already reported as too long.
                    skippingLongLine = false;
                    continue;
                }
                lineNumber++;
                if (Parse(context, line, lineNumber, parseLater) is { } evt)
                {
                    events[count++] = evt;
                    if (count == events.Length)
                    {
                        if (!await SendAllAsync(context, events, count, stopping).ConfigureAwait(false))
                        {
                            return;
                        }
                        count = 0;
                    }
                }
            }
            if (count > 0 && !await SendAllAsync(context, events, count, stopping).ConfigureAwait(false))
            {
                return;
            }
            if (atEnd)
            {
                return;
            }

            // Keep the partial last line at the front of the buffer; grow it (up to max_line) for a line that fills it.
            filled -= start;
            buffer.AsSpan(start, filled).CopyTo(buffer);
            if (skippingLongLine)
            {
                filled = 0;
            }
            else if (filled > maxLine)
            {
                lineNumber++;
                ReportTooLong(context, buffer.AsSpan(0, filled), lineNumber);
                skippingLongLine = true;
                filled = 0;
            }
            else if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, maxLine + 1L));
            }
        }
    }

    /// <summary>Hands on a batch; false when the topology is shutting down (the events not handed on are released).</summary>
    private static async ValueTask<bool> SendAllAsync(ISourceContext context, Event[] events, int count, CancellationToken stopping)
    {
        int sent;
        try
        {
            sent = await context.SendAllAsync(events.AsMemory(0, count), stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Which of them were handed on is unknown here: none is released (the collector takes the rest).
            Array.Clear(events, 0, count);
            return false;
        }
        for (var i = sent; i < count; i++)
        {
            events[i].Release();
        }
        Array.Clear(events, 0, count);
        return sent == count;
    }

    /// <param name="parseLater">The consumers parse (<see cref="ISourceContext.ConsumersParse"/>): the line goes on as text.</param>
    private Event? Parse(ISourceContext context, ReadOnlySpan<byte> line, long lineNumber, bool parseLater)
    {
        if (line.Length > maxLine)
        {
            ReportTooLong(context, line, lineNumber);
            return null;
        }
        if (line.Trim(" \t\r"u8).IsEmpty)
        {
            return null;
        }
        if (parseLater)
        {
            return Event.Unparsed(line, lineNumber);
        }
        if (decoder.Decode(line, out var error) is { } evt)
        {
            return evt;
        }
        context.ReportInvalidInput($"{FrameName(lineNumber)}: {error} (decoding.codec: {decoder.CodecName})", line);
        return null;
    }

    private string FrameName(long number) => delimiter is null ? FrameNoun : $"{FrameNoun} {number}";

    private void ReportTooLong(ISourceContext context, ReadOnlySpan<byte> start, long lineNumber)
    {
        context.ReportInvalidInput(
            $"{FrameName(lineNumber)}: longer than max_line ({maxLine} bytes); skipped (the raw bytes here are its start)",
            start[..Math.Min(start.Length, Math.Min(maxLine, MaxReportedRawBytes))]);
    }
}

using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Sources;

[Component("stdin", "Reads NDJSON from standard input and finishes at end of input.")]
public sealed class StdinSourceConfig : ISourceConfig
{
    [Option("Longest line accepted; a longer one is reported as invalid input (dead-lettered, cut to this size) and skipped.", Example = "256KiB")]
    public ByteSize MaxLine { get; set; } = new(1024 * 1024);

    public ISourceFactory Build(ComponentContext context)
    {
        if (MaxLine.Bytes <= 0 || MaxLine.Bytes >= Array.MaxLength)
        {
            throw new ComponentBuildException("max_line", $"expected a size between 1 byte and 2GiB, found {MaxLine.Bytes} bytes");
        }
        var maxLine = (int)MaxLine.Bytes;
        return new SourceFactory(() => new StdinSource(Console.OpenStandardInput(), maxLine));
    }
}

/// <summary>
/// Reads NDJSON from a stream (standard input in production) until end of stream, then returns, so
/// <c>cat events.ndjson | pipeline run</c> drains and exits. A malformed line is reported as invalid input with
/// its line number and skipped; blank lines are ignored.
/// </summary>
/// <param name="maxLine">max_line in bytes.</param>
public sealed class StdinSource(Stream input, int maxLine) : ISource
{
    private const int ReadBufferSize = 64 * 1024;
    private const int MaxReportedRawBytes = 64 * 1024;

    public async Task RunAsync(ISourceContext context, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Lines are sliced out of the pipe's pooled segments and parsed in place: no string per line.
        var reader = PipeReader.Create(input, new StreamPipeReaderOptions(bufferSize: ReadBufferSize, leaveOpen: true));
        long lineNumber = 0;
        var skippingLongLine = false;
        while (true)
        {
            ReadResult result;
            try
            {
                // Standard input ignores cancellation while it blocks in read(); WaitAsync lets a stop win anyway.
                result = await reader.ReadAsync(stopping).AsTask().WaitAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }

            var buffer = result.Buffer;
            while (TryReadLine(ref buffer, out var line))
            {
                if (skippingLongLine)
                {
                    // The end of a line already reported as too long.
                    skippingLongLine = false;
                    continue;
                }
                lineNumber++;
                if (!await HandleLineAsync(context, line, lineNumber, stopping).ConfigureAwait(false))
                {
                    return;
                }
            }

            if (skippingLongLine)
            {
                buffer = buffer.Slice(buffer.End);
            }
            else if (buffer.Length > maxLine)
            {
                lineNumber++;
                ReportTooLong(context, buffer, lineNumber);
                skippingLongLine = true;
                buffer = buffer.Slice(buffer.End);
            }

            if (result.IsCompleted)
            {
                if (!buffer.IsEmpty)
                {
                    await HandleLineAsync(context, buffer, lineNumber + 1, stopping).ConfigureAwait(false);
                }
                await reader.CompleteAsync().ConfigureAwait(false);
                return;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        var newline = buffer.PositionOf((byte)'\n');
        if (newline is null)
        {
            line = default;
            return false;
        }
        line = buffer.Slice(0, newline.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
        return true;
    }

    /// <summary>Parses and sends one line; false when the topology is shutting down.</summary>
    private async ValueTask<bool> HandleLineAsync(ISourceContext context, ReadOnlySequence<byte> line, long lineNumber, CancellationToken stopping)
    {
        if (line.Length > maxLine)
        {
            ReportTooLong(context, line, lineNumber);
            return true;
        }
        var evt = Parse(context, line, lineNumber);
        if (evt is null)
        {
            return true;
        }
        try
        {
            return await context.SendAsync(evt, default(ActivityContext), stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return false;
        }
    }

    private static Event? Parse(ISourceContext context, ReadOnlySequence<byte> line, long lineNumber)
    {
        byte[]? rented = null;
        ReadOnlySpan<byte> span;
        if (line.IsSingleSegment)
        {
            span = line.FirstSpan;
        }
        else
        {
            // A line that straddles two pipe segments is copied once into a pooled array.
            rented = ArrayPool<byte>.Shared.Rent((int)line.Length);
            line.CopyTo(rented);
            span = rented.AsSpan(0, (int)line.Length);
        }
        try
        {
            if (span.Trim(" \t\r"u8).IsEmpty)
            {
                return null;
            }
            try
            {
                return Event.Parse(span);
            }
            catch (EventFormatException ex)
            {
                context.ReportInvalidInput($"line {lineNumber}: {ex.Message}", span);
                return null;
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private void ReportTooLong(ISourceContext context, ReadOnlySequence<byte> start, long lineNumber)
    {
        var raw = start.Slice(0, Math.Min(start.Length, Math.Min(maxLine, MaxReportedRawBytes)));
        context.ReportInvalidInput(
            $"line {lineNumber}: longer than max_line ({maxLine} bytes); skipped (the raw bytes here are its start)",
            raw.IsSingleSegment ? raw.FirstSpan : raw.ToArray());
    }
}

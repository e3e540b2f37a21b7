using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Sinks;

/// <summary><c>stdout</c> has no options: JSON lines, one event per line.</summary>
[Component("stdout", "Writes events as JSON lines to standard output.")]
public sealed class StdoutSinkConfig : ISinkConfig
{
    // One process has one standard output, whichever stdout sink or isolate writes to it.
    private static readonly Lazy<Stream> StandardOutput = new(Console.OpenStandardOutput);
    private static readonly SemaphoreSlim StandardOutputGate = new(1, 1);

    public ISinkFactory Build(ComponentContext context) => new SinkFactory(_ => new StdoutSink(StandardOutput.Value, StandardOutputGate));
}

/// <summary>
/// Writes events as JSON lines to a stream (standard output in production). Lines collect in a private buffer and
/// reach the stream in chunks; <see cref="FlushAsync"/> pushes out the rest.
/// </summary>
public sealed class StdoutSink : ISink
{
    private const int WriteThreshold = 64 * 1024;

    private readonly Stream _output;
    private readonly SemaphoreSlim _outputGate;
    private readonly JsonLinesBuffer _lines = new();

    /// <param name="output">Where the lines go.</param>
    /// <param name="outputGate">
    /// Held while writing, shared by every sink writing to the same stream: several isolates would otherwise
    /// interleave their chunks mid-line.
    /// </param>
    public StdoutSink(Stream output, SemaphoreSlim outputGate)
    {
        _output = output;
        _outputGate = outputGate;
    }

    public async ValueTask WriteAsync(IReadOnlyList<Event> batch, CancellationToken cancellationToken)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            _lines.Append(batch[i]);
        }
        if (_lines.Length >= WriteThreshold)
        {
            await WriteBufferedAsync(flush: false, cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken) => WriteBufferedAsync(flush: true, cancellationToken);

    public ValueTask DisposeAsync() => WriteBufferedAsync(flush: true, CancellationToken.None);

    private async ValueTask WriteBufferedAsync(bool flush, CancellationToken cancellationToken)
    {
        if (_lines.Length == 0 && !flush)
        {
            return;
        }
        await _outputGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_lines.Length > 0)
            {
                await _output.WriteAsync(_lines.Written, cancellationToken).ConfigureAwait(false);
                _lines.Clear();
            }
            if (flush)
            {
                await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _outputGate.Release();
        }
    }
}

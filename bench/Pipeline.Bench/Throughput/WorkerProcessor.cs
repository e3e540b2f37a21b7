using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// The isolates comparison's process-pool arm: one isolate's instance owns a child process
/// (<c>Pipeline.Bench isolate-worker</c>, <see cref="WorkerLoop"/>) that runs <see cref="DigestRewrite"/>, and sends it
/// events over the child's stdin, reading the results from its stdout. What a process pool costs on top of the work:
/// serializing and parsing every event on both sides, and a round trip through two pipes and two context switches.
/// </summary>
/// <remarks>
/// A frame is a 4-byte little-endian length and that many bytes of newline-separated compact JSON events (JSON text
/// holds no raw newline); the answer is a frame with one event per event sent, in order. Disposing kills the child.
/// </remarks>
internal sealed class WorkerProcessor : IProcessor, IBatchProcessor, IDisposable
{
    private readonly Process _child;
    private readonly Stream _toChild;
    private readonly Stream _fromChild;
    private readonly ArrayBufferWriter<byte> _frame = new(16 * 1024);
    private readonly byte[] _header = new byte[sizeof(int)];
    private byte[] _answer = new byte[16 * 1024];

    public WorkerProcessor()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(typeof(WorkerProcessor).Assembly.Location);
        info.ArgumentList.Add(WorkerLoop.Command);
        _child = Process.Start(info) ?? throw new InvalidOperationException("could not start the worker process");
        _toChild = _child.StandardInput.BaseStream;
        _fromChild = _child.StandardOutput.BaseStream;
    }

    /// <summary>The child's process id, whose memory counts as this isolate's.</summary>
    public int ProcessId => _child.Id;

    /// <summary>The child's CPU time so far, which counts as this isolate's.</summary>
    public TimeSpan ProcessorTime()
    {
        _child.Refresh();
        return _child.TotalProcessorTime;
    }

    /// <summary>The isolate's whole batch in one round trip.</summary>
    public async ValueTask ProcessBatchAsync(IReadOnlyList<Event> events, IBatchEmitter output, CancellationToken cancellationToken)
    {
        var answer = await ExchangeAsync(events, cancellationToken).ConfigureAwait(false);
        var rest = answer.Span;
        for (var i = 0; i < events.Count; i++)
        {
            var end = rest.IndexOf((byte)'\n');
            if ((end < 0) != (i == events.Count - 1))
            {
                throw new InstanceCorruptedException($"the worker process {_child.Id} answered a batch of {events.Count} events with another count");
            }
            output.Emit(i, -1, Event.Parse(end < 0 ? rest : rest[..end]));
            rest = end < 0 ? default : rest[(end + 1)..];
        }
    }

    /// <summary>One event alone (the check before a run): a batch of one.</summary>
    public async ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
    {
        var answer = await ExchangeAsync([evt], cancellationToken).ConfigureAwait(false);
        output.Emit(Event.Parse(answer.Span));
    }

    /// <summary>Sends the events as one frame and returns the answer frame's body: one line per event.</summary>
    private async ValueTask<ReadOnlyMemory<byte>> ExchangeAsync(IReadOnlyList<Event> events, CancellationToken cancellationToken)
    {
        _frame.ResetWrittenCount();
        _frame.Advance(sizeof(int));
        for (var i = 0; i < events.Count; i++)
        {
            if (i > 0)
            {
                _frame.Write("\n"u8);
            }
            events[i].WriteTo(_frame);
        }
        var frame = System.Runtime.InteropServices.MemoryMarshal.AsMemory(_frame.WrittenMemory);
        BinaryPrimitives.WriteInt32LittleEndian(frame.Span, frame.Length - sizeof(int));
        try
        {
            await _toChild.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            await _toChild.FlushAsync(cancellationToken).ConfigureAwait(false);
            await _fromChild.ReadExactlyAsync(_header, cancellationToken).ConfigureAwait(false);
            var length = BinaryPrimitives.ReadInt32LittleEndian(_header);
            if (_answer.Length < length)
            {
                _answer = new byte[Math.Max(length, 2 * _answer.Length)];
            }
            await _fromChild.ReadExactlyAsync(_answer.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            return _answer.AsMemory(0, length);
        }
        catch (Exception ex) when (ex is EndOfStreamException or IOException)
        {
            // The child is gone: this instance cannot work again; the isolate replaces it (and so starts a new child).
            throw new InstanceCorruptedException($"the worker process {_child.Id} exited ({(_child.HasExited ? _child.ExitCode : "running")})", ex);
        }
    }

    public void Dispose()
    {
        if (!_child.HasExited)
        {
            _child.Kill();
            _child.WaitForExit();
        }
        _child.Dispose();
    }
}

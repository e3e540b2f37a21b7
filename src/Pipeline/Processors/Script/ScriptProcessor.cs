using System.Buffers;
using System.Collections;
using System.Text;
using Pipeline.Components;
using Pipeline.Events;
using Serilog.Events;

namespace Pipeline.Processors.Script;

/// <summary>
/// One isolate's script: a JavaScript runtime of its own on a <see cref="ScriptThread"/> of its own, called once per
/// batch. A call stopped at a limit throws <see cref="InstanceCorruptedException"/>, so the isolate replaces this
/// instance (runtime and thread) and retries the batch in halves; an event whose <c>process</c> throws fails alone.
/// </summary>
internal sealed class ScriptProcessor : IProcessor, IBatchProcessor, IAsyncDisposable, IDisposable
{
    private readonly ScriptProcessorFactory _stage;
    private readonly int _isolate;
    private readonly ScriptThread _thread;
    private readonly ArrayBufferWriter<byte> _batch = new(16 * 1024);
    private readonly ScriptAnswer _answer = new();
    private IScriptRuntime _runtime;
    private ScriptProgram _program;

    /// <summary>A reloaded version whose runtime failed to start here: not tried again on every batch.</summary>
    private int _failedVersion;

    /// <summary>The watchdog fired as the last call finished: its answer counts, but the runtime is replaced before the next.</summary>
    private bool _runtimeSuspect;

    private int _disposed;

    public ScriptProcessor(ScriptProcessorFactory stage, int isolate)
    {
        _stage = stage;
        _isolate = isolate;
        _thread = new ScriptThread($"script {stage.ComponentId}/{isolate}", stage.Limits.CpuTime);
        _program = stage.Current;
        try
        {
            // Synchronous on purpose: an instance is made when the isolate starts or restarts, and a script whose top
            // level throws must fail that, as a processor whose constructor throws does. Only the script thread's own
            // answers are waited for, so the wait needs no other thread-pool thread.
            var runtime = _thread.RunAsync(_stage.CreateRuntime, watched: null).GetAwaiter().GetResult();
            try
            {
                _thread.RunAsync(() =>
                {
                    runtime.Load(_program, _stage.NamedOutputs);
                    return true;
                }, runtime).GetAwaiter().GetResult();
            }
            catch
            {
                _ = _thread.RunAsync(() =>
                {
                    runtime.Dispose();
                    return true;
                }, watched: null);
                throw;
            }
            _runtime = runtime;
        }
        catch (ScriptLimitException limit)
        {
            _stage.CountLimit(limit);
            _thread.Dispose();
            throw;
        }
        catch
        {
            _thread.Dispose();
            throw;
        }
    }

    public async ValueTask ProcessBatchAsync(IReadOnlyList<Event> events, IBatchEmitter output, CancellationToken cancellationToken)
    {
        var current = _stage.Current;
        if (_runtimeSuspect || (!ReferenceEquals(current, _program) && current.Version != _failedVersion))
        {
            await SwitchAsync(current).ConfigureAwait(false);
        }
        var batch = Serialize(events);
        var runtime = _runtime;
        string answer;
        // The hard stop interrupts a call that is still running; nothing is registered per event.
        using (cancellationToken.UnsafeRegister(static state => ((IScriptRuntime)state!).Interrupt(), runtime))
        {
            try
            {
                answer = await _thread.RunAsync(() => runtime.Run(batch), runtime).ConfigureAwait(false);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken);
            }
            catch (ScriptLimitException limit)
            {
                _stage.CountLimit(limit);
                throw new InstanceCorruptedException(limit.Message, limit);
            }
        }
        _runtimeSuspect = _thread.LastCallInterrupted;
        var leftOut = _answer.Read(answer, events.Count, output);
        if (leftOut > 0)
        {
            output.Log(events.Count - 1, LogEventLevel.Warning,
                $"{leftOut} more console lines of this batch left out (at most {ScriptLimits.MaxLogLinesPerCall} per call)");
        }
    }

    /// <summary>One event alone (a test, a caller outside an isolate): a batch of one.</summary>
    public async ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
    {
        var single = new SingleEvent(evt, output, _stage.Logger);
        await ProcessBatchAsync(single, single, cancellationToken).ConfigureAwait(false);
        if (single.Failure is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>
    /// Disposes the runtime on the thread that made it and waits until that thread has ended: a V8 runtime still
    /// being torn down on its thread when the process exits can crash the exit (seen once as a segmentation fault).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        var runtime = _runtime;
        var disposed = _thread.RunAsync(() =>
        {
            runtime.Dispose();
            return true;
        }, watched: null);
        _thread.Dispose();
        try
        {
            await disposed.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _stage.Logger.Warning(ex, "Disposing the script runtime of isolate {Isolate} of {ComponentId} failed", _isolate, _stage.ComponentId);
        }
        await _thread.Exited.ConfigureAwait(false);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Makes a runtime on this isolate's thread and loads <paramref name="program"/> into it, under the CPU-time limit.</summary>
    private async ValueTask<IScriptRuntime> StartAsync(ScriptProgram program)
    {
        var runtime = await _thread.RunAsync(_stage.CreateRuntime, watched: null).ConfigureAwait(false);
        try
        {
            await _thread.RunAsync(() =>
            {
                runtime.Load(program, _stage.NamedOutputs);
                return true;
            }, runtime).ConfigureAwait(false);
            return runtime;
        }
        catch
        {
            await _thread.RunAsync(() =>
            {
                runtime.Dispose();
                return true;
            }, watched: null).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Replaces the runtime with one running <paramref name="program"/>, between two batches, so no event is lost or
    /// seen by both. A new version that fails to start here is logged once and the old one keeps running.
    /// </summary>
    private async ValueTask SwitchAsync(ScriptProgram program)
    {
        IScriptRuntime next;
        try
        {
            next = await StartAsync(program).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ScriptException or ScriptLimitException)
        {
            _failedVersion = program.Version;
            _stage.Logger.Error("Isolate {Isolate} of {ComponentId} could not start version {Version} of its script, and keeps running version {Running}: {Reason:l}",
                _isolate, _stage.ComponentId, program.Version, _program.Version, ex.Message);
            return;
        }
        var old = _runtime;
        await _thread.RunAsync(() =>
        {
            old.Dispose();
            return true;
        }, watched: null).ConfigureAwait(false);
        _runtime = next;
        _runtimeSuspect = false;
        if (!ReferenceEquals(program, _program))
        {
            _stage.Logger.Information("Isolate {Isolate} of {ComponentId} runs version {Version} of its script from its next batch",
                _isolate, _stage.ComponentId, program.Version);
        }
        _program = program;
    }

    /// <summary>The batch as one JSON array, the events' own JSON joined: one string per batch.</summary>
    private string Serialize(IReadOnlyList<Event> events)
    {
        _batch.ResetWrittenCount();
        _batch.Write("["u8);
        for (var i = 0; i < events.Count; i++)
        {
            if (i > 0)
            {
                _batch.Write(","u8);
            }
            events[i].WriteTo(_batch);
        }
        _batch.Write("]"u8);
        return Encoding.UTF8.GetString(_batch.WrittenSpan);
    }

    /// <summary>A batch of one event whose outputs go straight to an <see cref="IEventEmitter"/>.</summary>
    private sealed class SingleEvent(Event evt, IEventEmitter output, Serilog.ILogger logger) : IReadOnlyList<Event>, IBatchEmitter
    {
        public Exception? Failure { get; private set; }

        public int Count => 1;

        public Event this[int index] => index == 0 ? evt : throw new ArgumentOutOfRangeException(nameof(index));

        public void Emit(int input, int namedOutput, Event emitted)
        {
            if (namedOutput < 0)
            {
                output.Emit(emitted);
            }
            else
            {
                output.Emit(namedOutput, emitted);
            }
        }

        public void Fail(int input, Exception error) => Failure = error;

        public void Log(int input, LogEventLevel level, string line) => logger.Write(level, "{ScriptLine:l}", line);

        public IEnumerator<Event> GetEnumerator()
        {
            yield return evt;
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

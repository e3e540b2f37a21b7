using System.Buffers;
using System.IO.Hashing;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors;

[Component("sample", "Keeps 1 event in N, optionally by a stable hash of a key field.")]
public sealed class SampleConfig : IProcessorConfig
{
    [Option("Keep 1 event in N (N >= 1; 1 keeps everything).", Required = true, Example = "10")]
    public int Rate { get; set; }

    [Option("Decide by a stable hash of this field, so all events of one key are kept or dropped together (a missing field counts as an empty key).",
        Example = ".trace_id")]
    public FieldPath? KeyField { get; set; }

    public IProcessorFactory Build(ComponentContext context)
    {
        if (Rate < 1)
        {
            throw new ComponentBuildException("rate", $"expected a whole number >= 1 (keep 1 event in N), found {Rate}");
        }
        var rate = Rate;
        return KeyField is { } keyField
            ? new ProcessorFactory(_ => new KeyedSample(rate, keyField))
            : new ProcessorFactory(_ => new Sample(rate));
    }
}

/// <summary>
/// Keeps the first of every <c>rate</c> events this isolate sees. Without a key the isolates need not agree, so
/// each counts on its own.
/// </summary>
public sealed class Sample(int rate) : IProcessor
{
    private int _untilNextKept;

    public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
    {
        if (_untilNextKept == 0)
        {
            _untilNextKept = rate - 1;
            output.Emit(evt);
        }
        else
        {
            _untilNextKept--;
        }
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Keeps 1 key in <c>rate</c>, chosen by a stable hash of the key field's value: the same in every isolate and run,
/// so all events of one key are kept or dropped together.
/// </summary>
public sealed class KeyedSample(int rate, FieldPath keyField) : IProcessor
{
    // Only for keys that are not strings (hashed as their JSON text); reused across events.
    private readonly ArrayBufferWriter<byte> _json = new(64);

    public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
    {
        var key = evt.Get(keyField);
        bool keep;
        if (key.TryGetUtf8(out var utf8))
        {
            keep = KeepsKey(utf8, rate);
        }
        else if (key.IsMissing)
        {
            keep = KeepsKey([], rate);
        }
        else
        {
            _json.ResetWrittenCount();
            key.WriteUtf8(_json);
            keep = KeepsKey(_json.WrittenSpan, rate);
        }
        if (keep)
        {
            output.Emit(evt);
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Whether an event whose key has these bytes is kept. XxHash3 is seedless, so the answer never changes.</summary>
    internal static bool KeepsKey(ReadOnlySpan<byte> key, int rate) => XxHash3.HashToUInt64(key) % (ulong)rate == 0;
}

using System.Buffers;
using System.IO.Hashing;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors;

/// <summary>
/// <c>sample</c>: keeps 1 event in <c>rate</c>. Without a key, each isolate keeps the first of every <c>rate</c>
/// events it sees; with a key, the choice is a stable hash of the key's value, the same in every isolate and run.
/// </summary>
public sealed class SampleFactory : IProcessorFactory
{
    private readonly int _rate;
    private readonly FieldPath? _keyField;

    public SampleFactory(SampleOptions options)
    {
        if (options.Rate < 1)
        {
            throw new ComponentBuildException("rate", $"expected a whole number >= 1 (keep 1 event in N), found {options.Rate}");
        }
        _rate = options.Rate;
        _keyField = options.KeyField;
    }

    public IProcessor CreateForIsolate(int isolateIndex)
        => _keyField is null ? new CountingProcessor(_rate) : new KeyedProcessor(_rate, _keyField);

    /// <summary>Whether an event whose key has these bytes is kept. XxHash3 is seedless, so the answer never changes.</summary>
    internal static bool KeepsKey(ReadOnlySpan<byte> key, int rate) => XxHash3.HashToUInt64(key) % (ulong)rate == 0;

    private sealed class CountingProcessor(int rate) : IProcessor
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

    private sealed class KeyedProcessor(int rate, FieldPath keyField) : IProcessor
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
    }
}

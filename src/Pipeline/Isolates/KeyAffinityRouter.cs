using System.Buffers;
using System.IO.Hashing;
using Pipeline.Events;

namespace Pipeline.Isolates;

/// <summary>
/// Sends every event with the same key to the same isolate, so a key's events keep their order.
/// </summary>
/// <remarks>
/// The isolate is XxHash3 (seed 0) of the key's UTF-8 bytes modulo the isolate count. Unlike
/// <see cref="string.GetHashCode()"/>, which is randomised per process, this hash is stable: with the same isolate
/// count a key reaches the same isolate across restarts and across processes. A string key hashes its content; a
/// non-negative integer picks isolate <c>key % count</c>, so small dense keys such as Kafka partitions 0…n−1 spread
/// evenly (hashing them, two partitions on two isolates land together half the time); any other value hashes its
/// JSON text. An event without the key (missing or null) always goes to isolate 0,
/// so keyless events also keep their order among themselves.
/// </remarks>
public sealed class KeyAffinityRouter(FieldPath key, int isolateCount) : IRouter
{
    /// <summary>Where an event without the key goes.</summary>
    public const int KeylessIsolate = 0;

    // Non-string keys are rare; they are serialised into a per-thread buffer that is reused, not allocated per route.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    private readonly ulong _isolateCount = (ulong)isolateCount;

    public FieldPath Key { get; } = key;

    public int Route(Event evt)
    {
        if (_isolateCount == 1)
        {
            return 0;
        }
        var value = evt.Get(Key);
        var kind = value.Kind;
        if (kind is EventValueKind.Missing or EventValueKind.Null)
        {
            return KeylessIsolate;
        }
        if (kind == EventValueKind.String && value.TryGetUtf8(out var utf8))
        {
            return IsolateFor(utf8);
        }
        if (kind == EventValueKind.Number && value.TryGetInt64(out var number) && number >= 0)
        {
            return (int)((ulong)number % _isolateCount);
        }
        var scratch = t_scratch ??= new ArrayBufferWriter<byte>(64);
        scratch.ResetWrittenCount();
        value.WriteUtf8(scratch);
        return IsolateFor(scratch.WrittenSpan);
    }

    /// <summary>The isolate for a key given as UTF-8 bytes.</summary>
    public int IsolateFor(ReadOnlySpan<byte> keyUtf8) => (int)(XxHash3.HashToUInt64(keyUtf8) % _isolateCount);
}

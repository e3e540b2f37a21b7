using System.Buffers;

namespace Pipeline.Events;

/// <summary>
/// The pools behind every event's arena and node array.
/// </summary>
/// <remarks>
/// Not <see cref="ArrayPool{T}.Shared"/>: its per-core stacks hold a few dozen arrays per size, while a running
/// topology keeps thousands of events in flight (every mailbox holds up to 1024), and events are rented on a source's
/// thread and returned on a sink's. With the shared pool nearly every event allocated fresh arrays (measured: 2,350
/// bytes per event through generator -> parse_json -> filter -> remap -> blackhole); a pool sized for the in-flight
/// population brings that down to the Event object itself.
/// </remarks>
internal static class EventMemory
{
    // Enough arrays per size class for every mailbox of a large topology to be full at once.
    private const int ArraysPerBucket = 16 * 1024;

    public static ArrayPool<byte> Bytes { get; } = ArrayPool<byte>.Create(maxArrayLength: 1024 * 1024, maxArraysPerBucket: ArraysPerBucket);

    public static ArrayPool<EventNode> Nodes { get; } = ArrayPool<EventNode>.Create(maxArrayLength: 64 * 1024, maxArraysPerBucket: ArraysPerBucket);
}

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
/// population brings that down to the Event object itself. <see cref="EventArrayPool{T}"/> is that pool without a
/// lock per rent and return.
/// </remarks>
internal static class EventMemory
{
    // Enough arrays per size class for every mailbox of a large topology to be full at once.
    private const int ArraysPerBucket = 16 * 1024;

    private static ArrayPool<byte> s_bytes = CreateBytes();
    private static ArrayPool<EventNode> s_nodes = CreateNodes();

    public static ArrayPool<byte> Bytes => Volatile.Read(ref s_bytes);

    public static ArrayPool<EventNode> Nodes => Volatile.Read(ref s_nodes);

    /// <summary>
    /// Lets go of every pooled array (new, empty pools replace these; arrays in use go back to the new ones). The
    /// memory limiter calls it above its soft limit: after a burst the pools can hold a hundred MiB that no collection
    /// frees, and the heap would stay above the limit, refusing input, for good.
    /// </summary>
    public static void Trim()
    {
        Volatile.Write(ref s_bytes, CreateBytes());
        Volatile.Write(ref s_nodes, CreateNodes());
    }

    private static ArrayPool<byte> CreateBytes() => new EventArrayPool<byte>(maxArrayLength: 1024 * 1024, maxArraysPerClass: ArraysPerBucket);

    private static ArrayPool<EventNode> CreateNodes() => new EventArrayPool<EventNode>(maxArrayLength: 64 * 1024, maxArraysPerClass: ArraysPerBucket);
}

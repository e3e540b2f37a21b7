namespace Pipeline.Isolates.Buffers;

/// <summary>
/// A sink's <c>buffer:</c>, as in Vector: <c>{ type: memory | disk, max_events: N, max_size: SIZE, when_full: block | drop_newest }</c>.
/// </summary>
public sealed class BufferSettings
{
    /// <summary>The smallest disk buffer: a few segments of the smallest segment size.</summary>
    public const long MinDiskSize = 1024 * 1024;

    public BufferType Type { get; set; } = BufferType.Memory;

    /// <summary>Memory: the events the sink's mailboxes hold in all; null keeps <c>mailbox</c> × isolates.</summary>
    public int? MaxEvents { get; set; }

    /// <summary>Disk: the most bytes its segments take on disk.</summary>
    public long MaxSize { get; set; } = 256L * 1024 * 1024;

    public WhenFull WhenFull { get; set; } = WhenFull.Block;
}

namespace Pipeline.Isolates.Buffers;

public enum BufferType
{
    /// <summary>The sink's mailboxes: fast, bounded by events, lost on a crash.</summary>
    Memory,

    /// <summary>A checksummed segment log under data_dir/buffers/&lt;sink id&gt;/: survives a crash, bounded by bytes.</summary>
    Disk,
}

using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;

namespace Pipeline.Isolates.Buffers;

/// <summary>
/// The files of one disk buffer: numbered segments (<c>00000000000000000001.seg</c>, appended in order, deleted
/// whole) and the ledger, which says where the first record not yet confirmed by the sink starts.
/// </summary>
internal static class SegmentFiles
{
    public const string Extension = ".seg";
    public const string LedgerName = "ledger";

    // u64 segment | u64 offset | u32 CRC-32 of the 16 bytes before it.
    private const int LedgerLength = 20;

    public static string PathOf(string directory, long segment)
        => Path.Combine(directory, segment.ToString("D20", CultureInfo.InvariantCulture) + Extension);

    /// <summary>The segment ids in <paramref name="directory"/>, oldest first; files that are not segments are left alone.</summary>
    public static List<long> List(string directory)
    {
        var ids = new List<long>();
        if (!Directory.Exists(directory))
        {
            return ids;
        }
        foreach (var path in Directory.EnumerateFiles(directory, "*" + Extension))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                ids.Add(id);
            }
        }
        ids.Sort();
        return ids;
    }

    /// <summary>The ledger's position; null when there is none or it is damaged (then reading starts at the oldest segment).</summary>
    public static (long Segment, long Offset)? ReadLedger(string directory)
    {
        var path = Path.Combine(directory, LedgerName);
        if (!File.Exists(path))
        {
            return null;
        }
        Span<byte> bytes = stackalloc byte[LedgerLength];
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (RandomAccess.Read(handle, bytes, 0) != LedgerLength
            || Crc32.HashToUInt32(bytes[..16]) != BinaryPrimitives.ReadUInt32LittleEndian(bytes[16..]))
        {
            return null;
        }
        return (BinaryPrimitives.ReadInt64LittleEndian(bytes), BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]));
    }

    /// <summary>
    /// Rewrites the ledger in place. Not synced: after a process crash the page cache still has it; after a power
    /// loss an older ledger means records delivered again, never records lost.
    /// </summary>
    public static void WriteLedger(Microsoft.Win32.SafeHandles.SafeFileHandle ledger, long segment, long offset)
    {
        Span<byte> bytes = stackalloc byte[LedgerLength];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, segment);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[8..], offset);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[16..], Crc32.HashToUInt32(bytes[..16]));
        RandomAccess.Write(ledger, bytes, 0);
    }
}

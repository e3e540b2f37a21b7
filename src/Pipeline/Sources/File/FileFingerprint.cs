using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace Pipeline.Sources.File;

/// <summary>
/// A hash of a file's first bytes (at most <see cref="MaxLength"/>), with how many it covers. Together with the
/// <see cref="FileKey"/> it tells a file apart from a new one that got the same inode after the first was deleted: the
/// new file's first bytes (a timestamp, a different first line) differ. A file shorter than <see cref="MaxLength"/>
/// has a fingerprint of what it holds, widened once it has grown.
/// </summary>
internal readonly record struct FileFingerprint(int Length, ulong Hash)
{
    public const int MaxLength = 256;

    public bool IsComplete => Length >= MaxLength;

    /// <summary>The fingerprint of the first <paramref name="length"/> bytes (or of all, when the file holds fewer).</summary>
    public static FileFingerprint Read(SafeFileHandle handle, int length = MaxLength)
    {
        Span<byte> head = stackalloc byte[MaxLength];
        var read = 0;
        while (read < length)
        {
            var n = RandomAccess.Read(handle, head[read..length], read);
            if (n == 0)
            {
                break;
            }
            read += n;
        }
        return new FileFingerprint(read, XxHash64.HashToUInt64(head[..read]));
    }

    /// <summary>
    /// True when <paramref name="handle"/>'s file starts with the bytes this fingerprint covers: the same file, or a
    /// copy-truncated one written again the same way, which the caller tells apart by its size.
    /// </summary>
    public bool Matches(SafeFileHandle handle) => Length == 0 || Read(handle, Length) == this;
}

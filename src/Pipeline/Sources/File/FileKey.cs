using Microsoft.Win32.SafeHandles;
using Mono.Unix.Native;

namespace Pipeline.Sources.File;

/// <summary>
/// Where a file lives on the node: its device and inode. Renaming keeps them and a new file at the old path gets new
/// ones, which is how rotation by rename is told from a file written on. The kernel may reuse an inode once a file is
/// deleted and released, so a <see cref="FileFingerprint"/> goes with it.
/// </summary>
/// <remarks>
/// .NET exposes no inode or device, so they come from stat(2) through Mono.Unix (a maintained POSIX binding with
/// native libraries for linux-x64 and linux-arm64) rather than a hand-written P/Invoke whose struct layout differs
/// per architecture.
/// </remarks>
internal readonly record struct FileKey(ulong Device, ulong Inode)
{
    /// <summary>stat(2) of a path, following symbolic links (/var/log/containers holds links into /var/log/pods).</summary>
    public static bool TryStat(string path, out FileKey key, out long size)
    {
        if (Syscall.stat(path, out var status) != 0 || (status.st_mode & FilePermissions.S_IFMT) != FilePermissions.S_IFREG)
        {
            key = default;
            size = 0;
            return false;
        }
        key = new FileKey(status.st_dev, status.st_ino);
        size = status.st_size;
        return true;
    }

    /// <summary>fstat(2) of an open file: its identity, size, and whether any path still names it (links above 0).</summary>
    public static bool TryStat(SafeFileHandle handle, out FileKey key, out long size, out bool linked)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            if (Syscall.fstat((int)handle.DangerousGetHandle(), out var status) != 0)
            {
                key = default;
                size = 0;
                linked = false;
                return false;
            }
            key = new FileKey(status.st_dev, status.st_ino);
            size = status.st_size;
            linked = status.st_nlink > 0;
            return true;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    public override string ToString() => $"{Device}:{Inode}";
}

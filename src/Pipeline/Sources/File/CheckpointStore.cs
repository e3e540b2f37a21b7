using System.Globalization;
using System.Text.Json;
using Mono.Unix.Native;

namespace Pipeline.Sources.File;

/// <summary>
/// The offsets of one file source, in <c>data_dir/checkpoints/&lt;source id&gt;.json</c>. Written whole and atomically:
/// to a temporary file, fsync'd, renamed over the old one and the directory fsync'd, so a crash at any point leaves
/// the previous checkpoint or the new one, never half of either.
/// </summary>
internal sealed class CheckpointStore(string directory, string componentId)
{
    private const int Version = 1;

    public string FilePath { get; } = Path.Combine(directory, componentId + ".json");

    /// <summary>The checkpoints of the last run; none when there is no file yet. A damaged file is an error that names it.</summary>
    public IReadOnlyList<FileCheckpoint> Load()
    {
        if (!System.IO.File.Exists(FilePath))
        {
            return [];
        }
        try
        {
            using var document = JsonDocument.Parse(System.IO.File.ReadAllBytes(FilePath));
            var root = document.RootElement;
            if (root.GetProperty("version").GetInt32() != Version)
            {
                throw new InvalidDataException($"version {root.GetProperty("version")} is not {Version}");
            }
            var checkpoints = new List<FileCheckpoint>();
            foreach (var file in root.GetProperty("files").EnumerateArray())
            {
                checkpoints.Add(new FileCheckpoint(
                    file.GetProperty("path").GetString() ?? "",
                    new FileKey(file.GetProperty("device").GetUInt64(), file.GetProperty("inode").GetUInt64()),
                    new FileFingerprint(file.GetProperty("fingerprint_length").GetInt32(),
                        ulong.Parse(file.GetProperty("fingerprint").GetString()!, NumberStyles.HexNumber, CultureInfo.InvariantCulture)),
                    file.GetProperty("offset").GetInt64()));
            }
            return checkpoints;
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException(
                $"the checkpoint file {FilePath} is damaged ({ex.Message}); move it away to start over (files are then read per read_from)", ex);
        }
    }

    public void Save(IEnumerable<FileCheckpoint> checkpoints)
    {
        Directory.CreateDirectory(directory);
        var temporary = FilePath + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 16 * 1024))
        {
            using (var json = new Utf8JsonWriter(stream))
            {
                json.WriteStartObject();
                json.WriteNumber("version", Version);
                json.WriteStartArray("files");
                foreach (var checkpoint in checkpoints)
                {
                    json.WriteStartObject();
                    json.WriteString("path", checkpoint.Path);
                    json.WriteNumber("device", checkpoint.Key.Device);
                    json.WriteNumber("inode", checkpoint.Key.Inode);
                    json.WriteNumber("fingerprint_length", checkpoint.Fingerprint.Length);
                    json.WriteString("fingerprint", checkpoint.Fingerprint.Hash.ToString("x16", CultureInfo.InvariantCulture));
                    json.WriteNumber("offset", checkpoint.Offset);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            stream.Flush(flushToDisk: true);
        }
        System.IO.File.Move(temporary, FilePath, overwrite: true);
        SyncDirectory(directory);
    }

    /// <summary>The rename is durable only once the directory entry is: fsync the directory (no .NET API does).</summary>
    private static void SyncDirectory(string path)
    {
        var fd = Syscall.open(path, OpenFlags.O_RDONLY | OpenFlags.O_DIRECTORY);
        if (fd < 0)
        {
            return;
        }
        try
        {
            Syscall.fsync(fd);
        }
        finally
        {
            Syscall.close(fd);
        }
    }
}

using System.Text;
using System.Text.Json;
using Pipeline.Components;
using Pipeline.Sources.File;
using Pipeline.Tests.Runtime;

namespace Pipeline.Tests.Io.FileTail;

/// <summary>
/// A temporary directory of log files and a data directory, and file-source pipelines over them that deliver to a
/// <see cref="RecordingSink"/>. Expansions and checkpoints run every 20 ms so tests wait for conditions, not seconds.
/// </summary>
internal sealed class TailedDirectory : IAsyncDisposable
{
    private readonly List<TestPipeline> _pipelines = [];

    public TailedDirectory()
    {
        Root = Path.Combine(Path.GetTempPath(), "pipeline-file-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Logs);
        Directory.CreateDirectory(Data);
    }

    public string Root { get; }

    public string Logs => Path.Combine(Root, "logs");

    public string Data => Path.Combine(Root, "data");

    public string CheckpointFile => Path.Combine(Data, "checkpoints", "files.json");

    public string PathOf(string name) => Path.Combine(Logs, name);

    public FileSourceConfig Config(Action<FileSourceConfig>? change = null)
    {
        var config = new FileSourceConfig
        {
            Include = [Path.Combine(Logs, "*.log")],
            GlobMinimumCooldown = TimeSpan.FromMilliseconds(20),
            CheckpointInterval = TimeSpan.FromMilliseconds(20),
            Host = "node-1",
        };
        change?.Invoke(config);
        return config;
    }

    /// <summary>Starts file source "files" → sink "out" (a RecordingSink unless given one).</summary>
    public async Task<TestPipeline> StartAsync(FileSourceConfig config, ISinkFactory sink, bool acknowledgements = true)
    {
        var pipeline = new TestPipeline(Data)
            .Source("files", config.Build(new ComponentContext("files", "pipeline", Data)), acknowledgements)
            .Sink("out", sink, ["files"]);
        _pipelines.Add(pipeline);
        await pipeline.StartAsync();
        return pipeline;
    }

    public static void Append(string path, string text)
    {
        using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        stream.Write(Encoding.UTF8.GetBytes(text));
    }

    public static void AppendLines(string path, string prefix, int from, int count)
    {
        var text = new StringBuilder();
        for (var i = from; i < from + count; i++)
        {
            text.Append(prefix).Append(i).Append('\n');
        }
        Append(path, text.ToString());
    }

    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    public static IReadOnlyList<string> Messages(RecordingSink sink) => [.. sink.Delivered.Select(d => Parse(d).GetProperty("message").GetString()!)];

    /// <summary>The checkpointed offset of a file, or -1 when the checkpoint file does not name it.</summary>
    public long CheckpointOf(string path)
    {
        if (!File.Exists(CheckpointFile))
        {
            return -1;
        }
        using var document = JsonDocument.Parse(File.ReadAllBytes(CheckpointFile));
        foreach (var file in document.RootElement.GetProperty("files").EnumerateArray())
        {
            if (file.GetProperty("path").GetString() == path)
            {
                return file.GetProperty("offset").GetInt64();
            }
        }
        return -1;
    }

    /// <summary>Open descriptors of this process that point into the logs directory (or at deleted files there).</summary>
    public int OpenDescriptors()
    {
        var count = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith(Logs + "/", StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // The descriptor closed while it was listed.
            }
        }
        return count;
    }

    public async Task StopAsync(TestPipeline pipeline)
    {
        await pipeline.Topology.StopAsync(TestPipeline.HangGuard);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var pipeline in _pipelines)
        {
            await pipeline.DisposeAsync();
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

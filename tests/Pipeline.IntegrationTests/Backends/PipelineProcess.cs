using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Pipeline.Tests.Support;

namespace Pipeline.IntegrationTests.Backends;

/// <summary>
/// The pipeline as an operator runs it: the built binary, <c>pipeline run --config FILE</c>, as a child process
/// with its own data directory. Its stdout (the service's JSON log lines) is kept for the assertions.
/// </summary>
internal sealed class PipelineProcess : IAsyncDisposable
{
    private static readonly TimeSpan ReadyWithin = TimeSpan.FromSeconds(60);

    private readonly ChildProcess _process;
    private readonly string _directory;
    private readonly HttpClient _admin;
    private readonly bool _ownsDirectory;

    private PipelineProcess(ChildProcess process, string directory, int adminPort, bool ownsDirectory)
    {
        _process = process;
        _directory = directory;
        _ownsDirectory = ownsDirectory;
        AdminPort = adminPort;
        _admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public int AdminPort { get; }

    /// <summary>Its working directory: the config file and data_dir; another run can start over it (a restart).</summary>
    public string Directory => _directory;

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// True while its main thread waits in the kernel in <paramref name="function"/> (/proc/&lt;pid&gt;/wchan), such as
    /// wait_for_partner, where opening a named pipe waits for its other end. Only the main thread: the runtime's
    /// debugger transport has a thread waiting on a named pipe of its own all along.
    /// </summary>
    public bool IsMainThreadWaitingIn(string function)
    {
        try
        {
            return File.ReadAllText($"/proc/{_process.Id}/wchan").Trim() == function;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // It exited meanwhile.
            return false;
        }
    }

    /// <summary>A line of /proc/&lt;pid&gt;/status in KiB (VmHWM is the peak RSS so far); 0 when it is not there.</summary>
    public long ProcStatusKib(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }

    /// <summary>Its data_dir (the dead-letter file is there).</summary>
    public string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>The dead-letter records written so far.</summary>
    public IEnumerable<JsonElement> DeadLetters()
    {
        var path = Path.Combine(DataDirectory, "dead-letter.jsonl");
        if (!File.Exists(path))
        {
            yield break;
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                using var document = JsonDocument.Parse(line);
                yield return document.RootElement.Clone();
            }
        }
    }

    /// <summary>host:port of the admin server, as a Prometheus target.</summary>
    public string AdminTarget => $"127.0.0.1:{AdminPort}";

    public HttpClient Admin => _admin;

    /// <summary>Points the suite at another build of the binary, such as the image's publish output (docs/performance.md).</summary>
    public const string ExecutableVariable = "PIPELINE_IT_EXECUTABLE";

    public static string Executable
    {
        get
        {
            if (Environment.GetEnvironmentVariable(ExecutableVariable) is { Length: > 0 } published)
            {
                return published;
            }
            var configuration = typeof(PipelineProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "PipelineConfiguration").Value ?? "Debug";
            return RepositoryRoot.Combine("src", "Pipeline", "bin", configuration, "net10.0", "pipeline");
        }
    }

    /// <param name="yaml">The topology; <c>{admin}</c> and <c>{data_dir}</c> in it are replaced by a free admin address and the run's own data directory.</param>
    /// <param name="restartIn">The <see cref="Directory"/> of an earlier run, to start over its data (as a restarted pod does); null for a fresh one.</param>
    /// <param name="environment">More environment variables for the child (DOTNET_GCHeapHardLimit, say).</param>
    /// <param name="runOptions">More options for <c>pipeline run</c> (<c>--watch-config</c>).</param>
    public static async Task<PipelineProcess> StartAsync(
        string name, string yaml, string? restartIn = null, IReadOnlyDictionary<string, string?>? environment = null, IReadOnlyList<string>? runOptions = null)
    {
        var pipeline = await LaunchAsync(name, yaml, restartIn, environment, runOptions: runOptions);
        try
        {
            await pipeline.WaitUntilReadyAsync();
            return pipeline;
        }
        catch
        {
            await pipeline.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// As <see cref="StartAsync"/> but without waiting until it is ready, for tests of start-up itself;
    /// <paramref name="prepare"/> gets the run's directory before the process starts (to lay out its data_dir).
    /// </summary>
    public static async Task<PipelineProcess> LaunchAsync(string name, string yaml, Action<string> prepare)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory($"pipeline-it-{name}-").FullName;
        prepare(directory);
        return await LaunchAsync(name, yaml, directory, environment: null, ownsDirectory: true);
    }

    private static async Task<PipelineProcess> LaunchAsync(
        string name, string yaml, string? restartIn, IReadOnlyDictionary<string, string?>? environment, bool? ownsDirectory = null, IReadOnlyList<string>? runOptions = null)
    {
        if (!File.Exists(Executable))
        {
            throw new FileNotFoundException($"the pipeline binary is missing: {Executable} (build the solution first)");
        }
        var directory = restartIn ?? System.IO.Directory.CreateTempSubdirectory($"pipeline-it-{name}-").FullName;
        var adminPort = FreePort.Next();
        var config = Path.Combine(directory, "pipeline.yaml");
        await File.WriteAllTextAsync(config, yaml
            .Replace("{admin}", $"127.0.0.1:{adminPort}", StringComparison.Ordinal)
            .Replace("{data_dir}", Path.Combine(directory, "data"), StringComparison.Ordinal), TestContext.Current.CancellationToken);
        var process = ChildProcess.Start($"pipeline-{name}", Executable, ["run", "--config", config, .. runOptions ?? []], new Dictionary<string, string?>
        {
            // The standard variables must not leak in from the machine running the tests; the YAML says everything.
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = null,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = null,
            ["OTEL_TRACES_EXPORTER"] = null,
            ["OTEL_SERVICE_NAME"] = null,
            ["OTEL_RESOURCE_ATTRIBUTES"] = null,
            ["PIPELINE_LOG_OTLP"] = null,
            ["PIPELINE_LOG_ELASTICSEARCH_URL"] = null,
        }.Concat(environment ?? new Dictionary<string, string?>()).ToDictionary(), directory);
        return new PipelineProcess(process, directory, adminPort, ownsDirectory: ownsDirectory ?? restartIn is null);
    }

    /// <summary>Its stdout lines that are JSON objects (the service's own log lines).</summary>
    public IEnumerable<JsonElement> LogLines()
    {
        foreach (var line in _process.StdoutLines.Concat(_process.StderrLines))
        {
            if (!line.StartsWith('{'))
            {
                continue;
            }
            JsonElement element;
            try
            {
                using var document = JsonDocument.Parse(line);
                element = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                continue;
            }
            yield return element;
        }
    }

    public string Tail() => _process.Tail();

    public Task<int?> StopAsync() => _process.StopAsync(TimeSpan.FromSeconds(30));

    /// <summary>Completes when a line of its output contains <paramref name="text"/>; fails if it exits first or <paramref name="within"/> passes.</summary>
    public Task WaitForOutputAsync(string text, TimeSpan within) => _process.WaitForOutputAsync(text, within);

    /// <summary>SIGTERM without waiting; see <see cref="WaitForExitAsync"/>.</summary>
    public void Terminate() => _process.Terminate();

    /// <summary>Sends SIGHUP: the service re-reads <see cref="ConfigFile"/>.</summary>
    public void HangUp() => _process.HangUp();

    /// <summary>The topology file the service runs, to edit for a reload.</summary>
    public string ConfigFile => Path.Combine(_directory, "pipeline.yaml");

    /// <summary>Its exit code, or null when it is still running after <paramref name="within"/>.</summary>
    public Task<int?> WaitForExitAsync(TimeSpan within) => _process.WaitForExitAsync(within);

    /// <summary>SIGTERM; the exit code, or null when it did not exit within <paramref name="grace"/> and was killed.</summary>
    public Task<int?> StopAsync(TimeSpan grace) => _process.StopAsync(grace);

    /// <summary>kill -9: no shutdown code runs, as in an OOM kill or a node failure.</summary>
    public Task KillAsync() => _process.KillAsync();

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        await _process.DisposeAsync();
        try
        {
            if (_ownsDirectory)
            {
                System.IO.Directory.Delete(_directory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left for the system's temp cleaning.
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        await _process.WaitUntilAnswersAsync(_admin, "readyz", ReadyWithin);
    }
}

using System.Net;
using System.Net.Sockets;
using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Telemetry;
using Pipeline.Topology;
using Serilog;

namespace Pipeline.Tests.EndToEnd;

/// <summary>A temporary data directory, a YAML topology loaded through the real loader, and bounded waits.</summary>
internal sealed class EndToEndHarness : IDisposable
{
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    public EndToEndHarness() => Directory = System.IO.Directory.CreateTempSubdirectory("pipeline-e2e-").FullName;

    public string Directory { get; }

    public PipelineMetrics Metrics { get; } = PipelineMetrics.CreateIsolated();

    public ILogger Logger { get; } = new LoggerConfiguration().CreateLogger();

    public PipelineConfig Load(string yaml, ComponentCatalog? catalog = null)
        => ConfigLoader.LoadYaml(yaml.Replace("{dir}", Directory, StringComparison.Ordinal), "e2e.yaml", catalog ?? BuiltInComponents.Create());

    public RunningTopology Build(PipelineConfig config) => RunningTopology.Build(config, Metrics, Logger);

    public string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>A port nothing listens on right now (the OS picks it; released before use).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

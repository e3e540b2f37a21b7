using System.Text.Json.Nodes;
using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Deploy;

/// <summary>docker-compose.observability.yml: valid for docker-compose, and every file it mounts exists.</summary>
public sealed class ComposeStackTests
{
    private const string ComposeFile = "docker-compose.observability.yml";

    private static JsonObject Services => YamlTree.LoadFile(RepositoryRoot.Combine(ComposeFile))["services"]!.AsObject();

    [Fact]
    public async Task Docker_compose_accepts_the_file()
    {
        var compose = ExternalTool.Require("docker-compose", "docker-compose");

        var result = await compose.RunAsync(["-f", ComposeFile, "config", "-q"]);

        Assert.True(result.Succeeded, result.Transcript);
    }

    [Fact]
    public void Every_file_and_directory_it_mounts_or_builds_from_exists()
    {
        var missing = new List<string>();
        foreach (var (name, service) in Services)
        {
            if (service!["build"] is JsonObject build)
            {
                var context = RepositoryRoot.Combine((string)build["context"]!);
                Require(name, "build context", context, directory: true);
                Require(name, "dockerfile", Path.Combine(context, (string?)build["dockerfile"] ?? "Dockerfile"), directory: false);
            }
            foreach (var (source, _) in BindMounts(service))
            {
                Require(name, "bind mount", source, directory: null);
            }
            // Paths the service is told about (its command, its environment) that fall inside a bind mount.
            foreach (var path in ContainerPathsIn(service))
            {
                if (HostPathOf(service, path) is { } host)
                {
                    Require(name, $"container path {path}", host, directory: null);
                }
            }
        }

        Assert.Empty(missing);

        void Require(string service, string what, string path, bool? directory)
        {
            var exists = directory switch
            {
                true => Directory.Exists(path),
                false => File.Exists(path),
                null => File.Exists(path) || Directory.Exists(path),
            };
            if (!exists)
            {
                missing.Add($"{service}: {what} {Path.GetRelativePath(RepositoryRoot.Path, path)} does not exist");
            }
        }
    }

    [Fact]
    public void The_example_config_mounted_into_the_pipeline_is_a_valid_topology()
    {
        var pipeline = Services["pipeline"]!;
        var command = pipeline["command"]!.AsArray().Select(a => (string)a!).ToList();
        var configPath = command[command.IndexOf("--config") + 1];
        var host = HostPathOf(pipeline, configPath);
        Assert.NotNull(host);

        var config = ConfigLoader.LoadFile(host, BuiltInComponents.Create(), new Dictionary<string, string>());

        Assert.Contains(config.Sources, s => s.Type == "http");
        Assert.EndsWith(":9464", config.AdminAddress, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_long_running_service_has_a_healthcheck_and_waits_for_what_it_needs_to_be_healthy()
    {
        foreach (var (name, service) in Services)
        {
            if ((string?)service!["restart"] != "no")
            {
                Assert.True(service["healthcheck"]?["test"] is not null, $"{name} has no healthcheck");
            }
            foreach (var (dependency, condition) in service["depends_on"]?.AsObject() ?? [])
            {
                Assert.True((string?)condition?["condition"] is "service_healthy" or "service_completed_successfully",
                    $"{name} depends on {dependency} without waiting for it to be healthy");
            }
        }
    }

    [Fact]
    public void The_stack_has_exemplars_anonymous_viewers_Jaeger_OTLP_and_Elasticsearch_without_security()
    {
        var services = Services;
        Assert.Contains("--enable-feature=exemplar-storage", services["prometheus"]!["command"]!.AsArray().Select(a => (string?)a));
        Assert.Equal("true", (string?)services["grafana"]!["environment"]!["GF_AUTH_ANONYMOUS_ENABLED"]);
        Assert.Equal("Viewer", (string?)services["grafana"]!["environment"]!["GF_AUTH_ANONYMOUS_ORG_ROLE"]);
        var jaegerPorts = services["jaeger"]!["ports"]!.AsArray().Select(p => (string)p!).ToList();
        Assert.Contains("4317:4317", jaegerPorts);
        Assert.Contains("4318:4318", jaegerPorts);
        Assert.Contains("16686:16686", jaegerPorts);
        Assert.StartsWith("jaegertracing/jaeger:2.", (string?)services["jaeger"]!["image"], StringComparison.Ordinal);
        Assert.Equal("single-node", (string?)services["elasticsearch"]!["environment"]!["discovery.type"]);
        Assert.Equal("false", (string?)services["elasticsearch"]!["environment"]!["xpack.security.enabled"]);
        Assert.Contains("security off", File.ReadAllText(RepositoryRoot.Combine("README.md")), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("http://jaeger:4317", (string?)services["pipeline"]!["environment"]!["OTEL_EXPORTER_OTLP_ENDPOINT"]);
    }

    [Fact]
    public void The_load_generator_is_bounded_and_posts_to_the_pipelines_http_source()
    {
        var loadgen = Services["loadgen"]!;

        Assert.Equal("no", (string?)loadgen["restart"]);
        Assert.Matches(@"^\d+$", (string?)loadgen["environment"]!["LOADGEN_SECONDS"]);
        Assert.Equal("http://pipeline:8080/v1/events", (string?)loadgen["environment"]!["PIPELINE_URL"]);
        Assert.Equal("service_healthy", (string?)loadgen["depends_on"]!["pipeline"]!["condition"]);
    }

    /// <summary>Bind mounts written "./host:/container[:ro]", resolved against the repository root.</summary>
    private static IEnumerable<(string Source, string Target)> BindMounts(JsonNode service)
    {
        foreach (var volume in service["volumes"]?.AsArray() ?? [])
        {
            var parts = ((string)volume!).Split(':');
            if (parts[0].StartsWith('.') || parts[0].StartsWith('/'))
            {
                yield return (Path.GetFullPath(Path.Combine(RepositoryRoot.Path, parts[0])), parts[1]);
            }
        }
    }

    /// <summary>The host path behind a container path, when a bind mount covers it.</summary>
    private static string? HostPathOf(JsonNode service, string containerPath)
    {
        foreach (var (source, target) in BindMounts(service))
        {
            if (containerPath == target)
            {
                return source;
            }
            if (containerPath.StartsWith(target.TrimEnd('/') + "/", StringComparison.Ordinal))
            {
                return Path.Combine(source, containerPath[(target.TrimEnd('/').Length + 1)..]);
            }
        }
        return null;
    }

    private static IEnumerable<string> ContainerPathsIn(JsonNode service)
    {
        var words = new List<string>();
        if (service["command"] is JsonArray command)
        {
            words.AddRange(command.Select(a => (string)a!));
        }
        if (service["environment"] is JsonObject environment)
        {
            words.AddRange(environment.Select(e => (string?)e.Value ?? ""));
        }
        foreach (var word in words)
        {
            var value = word.Contains('=', StringComparison.Ordinal) ? word[(word.IndexOf('=', StringComparison.Ordinal) + 1)..] : word;
            if (value.StartsWith('/'))
            {
                yield return value;
            }
        }
    }
}

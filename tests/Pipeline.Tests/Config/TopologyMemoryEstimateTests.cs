using Pipeline.Config;

namespace Pipeline.Tests.Config;

/// <summary>
/// Settings each within their bounds can still add up to more memory than the process may use; validation says so,
/// at the biggest contributor, with the list of what to lower. The memory limiter's limit makes the budget the same
/// on every machine.
/// </summary>
public sealed class TopologyMemoryEstimateTests
{
    // Three stages of 29, 20 and 15 MiB (a mailbox of N events is N KiB at the estimate's 1 KiB an event) and a sink of
    // 1 MiB: each fine alone, 64.9 MiB together.
    private static string Topology(string limit) => $$"""
        memory_limiter: { limit: {{limit}} }
        sources:
          in: {type: gen}
        stages:
          a:
            type: check
            condition: 'true'
            inputs: [in]
            mailbox: 30000
          b: {type: check, condition: 'true', inputs: [a], mailbox: 20000}
          c: {type: check, condition: 'true', inputs: [b], isolates: 3, mailbox: 5000}
        sinks:
          o: {type: out, inputs: [c]}
        """;

    [Fact]
    public void A_topology_fine_stage_by_stage_but_too_big_in_total_is_an_error_at_its_biggest_contributor_listing_the_biggest()
    {
        var errors = ConfigErrors.Of(Topology("64MiB"));

        var error = ConfigErrors.Only(errors, "the topology may hold about 64.9 MiB in memory, more than the memory limiter's limit of 64 MiB (as set)", 9, 5);
        Assert.Contains("stage 'a' (check): 1 isolate × (30,000 mailbox + 64 batch) events = 29.4 MiB; "
            + "stage 'b' (check): 1 isolate × (20,000 mailbox + 64 batch) events = 19.6 MiB; "
            + "stage 'c' (check): 3 isolates × (5,000 mailbox + 64 batch) events = 14.8 MiB; "
            + "sink 'o' (out): 1 isolate × (1,024 mailbox + 64 batch) events = 1.1 MiB.", error.Message, StringComparison.Ordinal);
        Assert.Contains("counting 1024 bytes an event", error.Message, StringComparison.Ordinal);
        Assert.Contains("Lower isolates, mailbox, batch_size or buffer.max_events", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_topology_loads_when_the_budget_holds_it()
    {
        var config = ConfigLoader.LoadYaml(Topology("128MiB"), ConfigErrors.File, new TestComponents().Catalog, new Dictionary<string, string>());

        Assert.Equal(3, config.Stages.Count());
    }

    [Fact]
    public void A_memory_buffer_counts_its_max_events()
    {
        var errors = ConfigErrors.Of("""
            memory_limiter: { limit: 64MiB }
            sources:
              in: {type: gen}
            sinks:
              o:
                type: out
                inputs: [in]
                buffer: {type: memory, max_events: 70000}
            """);

        var error = ConfigErrors.Only(errors, "the topology may hold about 68.4 MiB in memory", 8, 5);
        Assert.Contains("sink 'o' (out): 1 isolate × (70,000 mailbox + 64 batch) events = 68.4 MiB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_http_sources_in_flight_bytes_count_four_times_at_the_option()
    {
        var errors = Assert.Throws<ConfigException>(() => ConfigLoader.LoadYaml("""
            memory_limiter: { limit: 64MiB }
            sources:
              ingest:
                type: http
                address: 127.0.0.1:8080
                max_body: 1MiB
                max_in_flight_bytes: 16MiB
            sinks:
              o: {type: blackhole, inputs: [ingest]}
            """, ConfigErrors.File, BuiltInComponents.Create(), new Dictionary<string, string>())).Errors;

        var error = ConfigErrors.Only(errors, "the topology may hold about 65.1 MiB in memory", 7, 5);
        Assert.Contains("source 'ingest' (http): 4 × 16 MiB max_in_flight_bytes = 64 MiB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Http_sources_without_max_in_flight_bytes_share_one_default_and_count_it_once()
    {
        // 16 MiB of a 128 MiB container each, 64 MiB while parsing: four such sources would be 256 MiB if each had its
        // own default. They share one, so they fit the memory limiter's 102 MiB with room to spare.
        var sources = string.Concat(Enumerable.Range(0, 4).Select(i => $"\n  in{i}: {{type: http, address: \"127.0.0.1:0\", max_body: 1MiB}}"));
        var yaml = $"sources:{sources}\nsinks:\n  o: {{type: blackhole, inputs: [in0, in1, in2, in3]}}\n";

        var config = ConfigDocumentBinder.Load(yaml, "shared.yaml", BuiltInComponents.Create(), new Dictionary<string, string>(), availableMemory: 128L * 1024 * 1024);

        Assert.Equal(4, config.Sources.Count());
        // Counted once, not left out: with a stage of 39 MiB beside them they pass the limit, and the error says 64 MiB.
        var crowded = yaml.Replace("sinks:", "stages:\n  keep: {type: filter, inputs: [in0], condition: 'true', mailbox: 40000}\nsinks:", StringComparison.Ordinal);
        var error = Assert.Throws<ConfigException>(() => ConfigDocumentBinder.Load(
            crowded, "shared.yaml", BuiltInComponents.Create(), new Dictionary<string, string>(), availableMemory: 128L * 1024 * 1024)).Errors.Single();
        Assert.Contains("4 sources (source 'in0' (http), source 'in1' (http), source 'in2' (http), source 'in3' (http)): 4 × 16 MiB max_in_flight_bytes, the default they share = 64 MiB",
            error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("src/Pipeline/Config/default.yaml", 512)]
    [InlineData("examples/quickstart.yaml", 512)]
    [InlineData("examples/node-logs.yaml", 512)]
    [InlineData("examples/cpu-fanout.yaml", 512)]
    [InlineData("examples/agent-to-kafka.yaml", 512)]
    [InlineData("examples/aggregator.yaml", 512)]
    [InlineData("examples/app-logs-elasticsearch-loki.yaml", 512)]
    [InlineData("deploy/k8s/pipeline.yaml", 512)]
    [InlineData("deploy/overlays/kafka-agent/pipeline.yaml", 512)]
    [InlineData("deploy/k8s/aggregator/aggregator.yaml", 1024)]
    public void Shipped_configs_fit_the_memory_limit_of_the_container_they_ship_for(string file, int containerMiB)
    {
        // The limits of deploy/k8s/daemonset.yaml (512 MiB, which the kafka-agent overlay keeps) and of
        // deploy/k8s/aggregator/deployment.yaml (1 GiB): the process sees its limit as the memory available, the
        // memory limiter takes 80% of it, and an http source's in-flight bytes default to an eighth of it.
        long container = containerMiB * 1024L * 1024;
        var yaml = File.ReadAllText(Support.RepositoryRoot.Combine(file.Split('/')));

        // The k8s config reads its certificate and tokens from Secret files: stand-ins here.
        using var secrets = new Deploy.StandInSecrets();
        var config = ConfigDocumentBinder.Load(yaml, file, BuiltInComponents.Create(), secrets.KubernetesConfigEnvironment(), availableMemory: container);

        Assert.NotEmpty(config.Sinks);
    }
}

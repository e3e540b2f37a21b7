using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Config;

namespace Pipeline.Tests.Config;

/// <summary>
/// Every size a user sets has an upper bound, reported at the value with what was expected: the largest value is
/// accepted and one more is not. The memory check of the whole topology is in <see cref="TopologyMemoryEstimateTests"/>.
/// </summary>
public sealed class SettingBoundsTests
{
    /// <summary>The errors of loading <paramref name="yaml"/>; none when it loads.</summary>
    private static IReadOnlyList<ConfigError> ErrorsOf(string yaml, ComponentCatalog? catalog = null)
    {
        try
        {
            ConfigLoader.LoadYaml(yaml, ConfigErrors.File, catalog ?? new TestComponents().Catalog, new Dictionary<string, string>());
            return [];
        }
        catch (ConfigException e)
        {
            return e.Errors;
        }
    }

    /// <summary>A sink with one more line of settings, on line 7; the memory limiter is off so only the setting is judged.</summary>
    private static string SinkWith(string setting) => $$"""
        memory_limiter: { enabled: false }
        sources:
          in: {type: gen}
        sinks:
          o:
            type: out
            {{setting}}
            inputs: [in]
        """;

    // The accepted edge may still be too much memory in total for a small test machine; only its own line matters here.
    private static bool IsReportedAt(IReadOnlyList<ConfigError> errors, int line)
        => errors.Any(e => e.Mark.Line == line && !e.Message.Contains("the topology may hold", StringComparison.Ordinal));

    [Fact]
    public void A_hundred_million_isolates_are_refused_at_the_value_with_what_this_machine_allows()
    {
        var clock = Stopwatch.StartNew();

        var errors = ConfigErrors.Of(SinkWith("isolates: 100000000"));

        var max = Math.Max(64, 16 * Environment.ProcessorCount);
        var error = ConfigErrors.Only(errors, "setting 'isolates'", 7, 15);
        Assert.Equal(
            $"sink 'o' (out): setting 'isolates': expected an integer between 1 and {max} (16 per processor on this machine's {Environment.ProcessorCount} processors, at least 64), or auto, found '100000000'",
            error.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"validation took {clock.Elapsed}");
    }

    public static TheoryData<string, string, string, string> StageSettingEdges => new()
    {
        { "isolates", $"{StageSettingLimits.MaxIsolates}", $"{StageSettingLimits.MaxIsolates + 1}", $"expected an integer between 1 and {StageSettingLimits.MaxIsolates} " },
        { "mailbox", "1000000", "1000001", "expected an integer between 1 and 1,000,000" },
        { "batch_size", "100000", "100001", "expected an integer between 1 and 100,000" },
        { "max_attempts", "1000", "1001", "expected an integer between 1 and 1,000" },
        { "max_restarts", "10000", "10001", "expected an integer between 0 and 10,000" },
        { "buffer", "{type: memory, max_events: 10000000}", "{type: memory, max_events: 10000001}", "expected an integer between 1 and 10,000,000" },
        { "buffer", "{type: disk, max_size: 1024GiB}", "{type: disk, max_size: 1099511627777}", "expected a size between 1MiB and 1024GiB" },
    };

    [Theory]
    [MemberData(nameof(StageSettingEdges))]
    public void Each_stage_setting_accepts_its_largest_value_and_refuses_one_more(string setting, string largest, string tooLarge, string expected)
    {
        Assert.False(IsReportedAt(ErrorsOf(SinkWith($"{setting}: {largest}")), 7), $"{setting}: {largest} should be accepted");

        var refused = ConfigErrors.Of(SinkWith($"{setting}: {tooLarge}"));

        var error = Assert.Single(refused, e => e.Mark.Line == 7);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string, string, string> ComponentOptionEdges => new()
    {
        { "sources", "type: file\n    include: [/var/log/*.log]", "max_open_files", "65536", "65537" },
        { "sources", "type: http\n    address: 127.0.0.1:8080", "max_concurrent_requests", "65536", "65537" },
        { "sources", "type: generator", "rate", "10000000", "10000001" },
        { "stages", "type: kubernetes\n    inputs: [gen]\n    pod_metadata: false", "max_pods", "150000", "150001" },
        { "sinks", "type: file\n    inputs: [gen]\n    path: /tmp/out.ndjson", "max_files", "1000", "1001" },
    };

    [Theory]
    [MemberData(nameof(ComponentOptionEdges))]
    public void Each_components_size_option_accepts_its_largest_value_and_refuses_one_more(string section, string body, string option, string largest, string tooLarge)
    {
        string Topology(string value)
        {
            var component = $"  tested:\n    {body}\n    {option}: {value}\n";
            var sources = section == "sources" ? component : "";
            return $"""
                memory_limiter: {"{"} enabled: false {"}"}
                sources:
                  gen: {"{"}type: generator{"}"}
                {sources}{(section == "stages" ? "stages:\n" + component : "")}sinks:
                  out: {"{"}type: blackhole, inputs: [{(section == "stages" ? "tested" : "gen")}]{"}"}
                {(section == "sinks" ? component : "")}
                """;
        }
        var catalog = BuiltInComponents.Create();

        Assert.DoesNotContain(ErrorsOf(Topology(largest), catalog), e => e.Message.Contains($"option '{option}'", StringComparison.Ordinal));
        var refused = ErrorsOf(Topology(tooLarge), catalog);

        var error = Assert.Single(refused);
        Assert.Contains($"option '{option}': expected", error.Message, StringComparison.Ordinal);
        Assert.Contains($"found {tooLarge}", error.Message, StringComparison.Ordinal);
        Assert.EndsWith($"{option}: {tooLarge}", Topology(tooLarge).Split('\n')[error.Mark.Line - 1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("logs", "queue_limit", 1_000_000)]
    [InlineData("logs", "batch_size", 100_000)]
    [InlineData("traces", "max_queue_size", 1_000_000)]
    [InlineData("traces", "max_export_batch_size", 100_000)]
    public void Telemetry_queues_and_batches_accept_their_largest_value_and_refuse_one_more(string section, string option, int largest)
    {
        string Topology(int value) => $$"""
            telemetry:
              {{section}}:
                {{option}}: {{value}}
            sources:
              in: {type: gen}
            sinks:
              o: {type: out, inputs: [in]}
            """;

        Assert.Empty(ErrorsOf(Topology(largest)));
        var error = Assert.Single(ErrorsOf(Topology(largest + 1)));

        Assert.Equal((3, 5), (error.Mark.Line, error.Mark.Column));
        Assert.Contains($"expected {(section == "logs" ? "an integer" : "a number")} between 1 and {largest:N0}, found {largest + 1}", error.Message, StringComparison.Ordinal);
    }
}

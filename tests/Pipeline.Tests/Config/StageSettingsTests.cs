using Pipeline.Config;
using Pipeline.Events;
using Pipeline.Isolates;

namespace Pipeline.Tests.Config;

public sealed class StageSettingsTests
{
    private static ComponentConfig LoadSink(string settings)
    {
        var config = ConfigLoader.LoadYaml($"""
            sources:
              in: {"{"}type: gen{"}"}
            sinks:
              o:
                type: out
                inputs: [in]
                {settings}
            """, ConfigErrors.File, new TestComponents().Catalog, new Dictionary<string, string>());
        return config.Sinks.Single();
    }

    [Fact]
    public void Every_stage_setting_binds_onto_the_stage()
    {
        var sink = LoadSink("""
            isolates: 4
                router: least_loaded
                mailbox: 16
                when_full: drop_newest
                max_attempts: 5
                retry_backoff: 10ms
                retry_max_backoff: 5s
                retry_max_elapsed: 10m
                max_restarts: 0
                restart_window: 1m30s
                batch_size: 8
                batch_timeout: 1.5s
            """);

        var stage = sink.Stage;
        Assert.Equal(4, stage.Isolates);
        Assert.Equal(RouterKind.LeastLoaded, stage.Router);
        Assert.Equal(16, stage.Mailbox);
        Assert.Equal(WhenFull.DropNewest, stage.WhenFull);
        Assert.Equal(5, stage.MaxAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(10), stage.RetryBackoff);
        Assert.Equal(TimeSpan.FromSeconds(5), stage.RetryMaxBackoff);
        Assert.Equal(TimeSpan.FromMinutes(10), stage.RetryMaxElapsed);
        Assert.Equal(0, stage.MaxRestarts);
        Assert.Equal(TimeSpan.FromSeconds(90), stage.RestartWindow);
        Assert.Equal(8, stage.BatchSize);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), stage.BatchTimeout);
        Assert.Equal(["type", "inputs", "isolates", "router", "mailbox", "when_full", "max_attempts", "retry_backoff", "retry_max_backoff", "retry_max_elapsed", "max_restarts", "restart_window", "batch_size", "batch_timeout"], sink.OptionMarks.Keys);
    }

    [Fact]
    public void Absent_settings_keep_their_defaults()
    {
        var stage = LoadSink("path: x.log").Stage;

        var defaults = new IsolatePoolSettings();
        Assert.Equal(
            (defaults.Isolates, defaults.Router, defaults.Mailbox, defaults.WhenFull, defaults.MaxAttempts, defaults.BatchSize),
            (stage.Isolates, stage.Router, stage.Mailbox, stage.WhenFull, stage.MaxAttempts, stage.BatchSize));
        // Unset, a sink retries an outage without an attempt or time limit, at most 30 s apart.
        Assert.Null(stage.MaxAttempts);
        Assert.Null(stage.RetryMaxElapsed);
        Assert.Equal(TimeSpan.FromSeconds(30), stage.RetryMaxBackoff);
        Assert.Null(stage.Key);
    }

    [Fact]
    public void Isolates_auto_means_one_per_processor()
    {
        Assert.Equal(Environment.ProcessorCount, LoadSink("isolates: auto").Stage.Isolates);
    }

    [Fact]
    public void Key_affinity_takes_its_key_as_a_field_path()
    {
        var stage = LoadSink("""
            router: key_affinity
                key: .user.id
            """).Stage;

        Assert.Equal(RouterKind.KeyAffinity, stage.Router);
        Assert.Equal(FieldPath.Parse(".user.id"), stage.Key);
    }

    [Fact]
    public void Key_affinity_without_a_key_is_reported_at_the_router()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            sinks:
              o:
                type: out
                inputs: [in]
                router: key_affinity
            """);

        ConfigErrors.Only(errors, "sink 'o' (out): router key_affinity expected a 'key: <field path>' setting, found none", 7, 5);
    }

    [Fact]
    public void Key_without_key_affinity_is_reported_at_the_key()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen}
            sinks:
              o:
                type: out
                inputs: [in]
                key: .user.id
            """);

        ConfigErrors.Only(errors, "sink 'o' (out): 'key' is only used with router: key_affinity, found router: round_robin", 7, 5);
    }

    [Theory]
    [InlineData("isolates: 0", "setting 'isolates': expected an integer between 1 and ")]
    [InlineData("isolates: many", "processors, at least 64), or auto, found 'many'")]
    [InlineData("mailbox: -1", "setting 'mailbox': expected an integer between 1 and 1,000,000 (a larger backlog belongs in a disk buffer), found '-1'")]
    [InlineData("max_restarts: -1", "setting 'max_restarts': expected an integer between 0 and 10,000, found '-1'")]
    [InlineData("when_full: drop_oldest", "setting 'when_full': expected one of block, drop_newest, found 'drop_oldest'")]
    [InlineData("retry_backoff: 50", "setting 'retry_backoff': expected a duration such as 250ms, 5s, 1m or 1h, found '50'")]
    [InlineData("restart_window: 0", "setting 'restart_window': expected a duration longer than 0, found '0'")]
    [InlineData("retry_max_backoff: 0s", "setting 'retry_max_backoff': expected a duration longer than 0, found '0s'")]
    [InlineData("retry_max_elapsed: forever", "setting 'retry_max_elapsed': expected a duration such as 250ms, 5s, 1m or 1h, found 'forever'")]
    [InlineData("key: '..'", "setting 'key': expected a field path such as .message or .user.id, found '..'")]
    public void Wrong_setting_values_say_what_was_expected(string line, string expected)
    {
        var errors = ConfigErrors.Of($"""
            sources:
              in: {"{"}type: gen{"}"}
            sinks:
              o:
                type: out
                inputs: [in]
                router: key_affinity
                {line}
            """);

        var error = errors.First(e => e.Mark.Line == 8);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stage_setting_on_a_source_is_explained()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: {type: gen, isolates: 2}
            sinks:
              o: {type: out, inputs: [in]}
            """);

        ConfigErrors.Only(errors, "source 'in' (gen): 'isolates' is a stage setting, and sources have no isolate pool", 2, 19);
    }
}

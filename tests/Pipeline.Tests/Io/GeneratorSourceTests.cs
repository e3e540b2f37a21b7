using System.Text;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Sources.Generator;

namespace Pipeline.Tests.Io;

public sealed class GeneratorSourceTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Count_is_honoured_and_the_source_then_returns()
    {
        var context = new FakeSourceContext();
        var source = Factory(new GeneratorSourceConfig { Count = 10_000, Distinct = 64, Seed = 1 }).Create();

        await source.RunAsync(context, Ct).WaitAsync(HangGuard, Ct);

        Assert.Equal(10_000, context.Sent.Count);
    }

    [Fact]
    public async Task A_switched_off_generator_sends_nothing_and_returns_at_once()
    {
        var context = new FakeSourceContext();
        var source = Factory(new GeneratorSourceConfig { Enabled = false, Rate = 100 }).Create();

        await source.RunAsync(context, Ct).WaitAsync(HangGuard, Ct);

        Assert.Empty(context.Sent);
    }

    [Fact]
    public void PIPELINE_DEMO_false_switches_the_embedded_defaults_demo_off()
    {
        var on = Pipeline.Config.ConfigLoader.LoadEmbeddedDefault(BuiltInComponents.Create(), new Dictionary<string, string>());
        var off = Pipeline.Config.ConfigLoader.LoadEmbeddedDefault(BuiltInComponents.Create(), new Dictionary<string, string> { ["PIPELINE_DEMO"] = "false" });

        Assert.True(((GeneratorSourceConfig)on.Components.Single(c => c.Id == "demo").Options).Enabled);
        Assert.False(((GeneratorSourceConfig)off.Components.Single(c => c.Id == "demo").Options).Enabled);
    }

    [Fact]
    public async Task Same_seed_gives_the_same_events_and_another_seed_does_not()
    {
        var first = await RunAsync(new GeneratorSourceConfig { Count = 200, Seed = 42 });
        var again = await RunAsync(new GeneratorSourceConfig { Count = 200, Seed = 42 });
        var other = await RunAsync(new GeneratorSourceConfig { Count = 200, Seed = 43 });

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.StartsWith("2025-01-01T00:00:", Event.Parse(first[0]).Get(FieldPath.Parse(".timestamp")).TryGetString(out var ts) ? ts : "", StringComparison.Ordinal);
    }

    [Fact]
    public void Object_records_are_about_250_bytes_with_every_field_and_an_info_heavy_level_mix()
    {
        var payloads = SyntheticLogRecords.Render(GeneratorSourceConfig.EventShape.Object, 4096, seed: 7, SyntheticLogRecords.ReproducibleEpoch);

        var average = payloads.Average(p => p.Length);
        // Eleven fields with their full names cost 136 bytes of keys and punctuation alone; values add ~110.
        Assert.InRange(average, 200, 260);
        var levels = new Dictionary<string, int>();
        foreach (var payload in payloads)
        {
            var evt = Event.Parse(payload);
            foreach (var field in new[] { "timestamp", "level", "service", "host", "method", "path", "status", "duration_ms", "user", "request_id", "message" })
            {
                Assert.True(evt.Exists(FieldPath.Parse("." + field)), $"missing .{field} in {Encoding.UTF8.GetString(payload)}");
            }
            Assert.Contains("@example.com", Str(evt, "user"), StringComparison.Ordinal);
            Assert.Equal(16, Str(evt, "request_id").Length);
            var level = Str(evt, "level");
            levels[level] = levels.GetValueOrDefault(level) + 1;
        }
        Assert.True(levels["info"] > payloads.Length * 0.7, $"info should dominate: {string.Join(", ", levels)}");
        Assert.True(levels["warn"] > 0 && levels["error"] > 0, $"warn and error should both occur: {string.Join(", ", levels)}");
        Assert.True(levels["warn"] > levels["error"], $"warn should be more common than error: {string.Join(", ", levels)}");
    }

    [Fact]
    public void Docker_json_records_carry_the_object_record_as_a_log_string()
    {
        var objects = SyntheticLogRecords.Render(GeneratorSourceConfig.EventShape.Object, 100, seed: 9, SyntheticLogRecords.ReproducibleEpoch);
        var docker = SyntheticLogRecords.Render(GeneratorSourceConfig.EventShape.DockerJson, 100, seed: 9, SyntheticLogRecords.ReproducibleEpoch);

        for (var i = 0; i < docker.Length; i++)
        {
            var evt = Event.Parse(docker[i]);
            var log = Str(evt, "log");
            Assert.EndsWith("\n", log, StringComparison.Ordinal);
            Assert.Equal(Encoding.UTF8.GetString(objects[i]), log.TrimEnd('\n'));
            Assert.Contains(Str(evt, "stream"), new[] { "stdout", "stderr" });
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", Str(evt, "time"));
        }
        // The escaped record is the work parse_json is benchmarked on; it should be near the object's size.
        Assert.InRange(docker.Average(p => p.Length), 300, 400);
    }

    [Fact]
    public void Token_bucket_grants_tokens_in_proportion_to_elapsed_time_and_caps_the_burst()
    {
        var time = new ManualTimeProvider();
        var bucket = new TokenBucket(100, time);

        Assert.Equal(1, bucket.Take(1000));
        Assert.Equal(0, bucket.Take(1000));
        Assert.Equal(TimeSpan.FromMilliseconds(10), bucket.TimeUntilNextToken());

        time.Advance(TimeSpan.FromMilliseconds(55));
        Assert.Equal(5, bucket.Take(1000));

        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(10, bucket.Take(1000));
        Assert.Equal(0, bucket.Take(1000));
    }

    [Fact]
    public async Task Paced_generator_waits_for_the_clock_instead_of_sending_ahead()
    {
        var time = new ManualTimeProvider();
        var context = new FakeSourceContext();
        var payloads = SyntheticLogRecords.Render(GeneratorSourceConfig.EventShape.Object, 8, seed: 1, SyntheticLogRecords.ReproducibleEpoch);
        using var stopping = new CancellationTokenSource();
        // 1 event per hour: after the first token the source must sleep until the clock moves, which it never does here.
        var run = new GeneratorSource(payloads, rate: 1.0 / 3600, count: 5, time).RunAsync(context, stopping.Token);

        Assert.False(run.IsCompleted);
        Assert.Single(context.Sent);
        await stopping.CancelAsync();
        await run.WaitAsync(HangGuard, Ct);
        Assert.Single(context.Sent);
    }

    [Theory]
    [InlineData(-1.0, 0L, 16, "rate")]
    [InlineData(0.0, -5L, 16, "count")]
    [InlineData(0.0, 0L, 0, "distinct")]
    public void Factory_rejects_out_of_range_options(double rate, long count, int distinct, string option)
    {
        var ex = Assert.Throws<ComponentBuildException>(() => Factory(new GeneratorSourceConfig { Rate = rate, Count = count, Distinct = distinct }));

        Assert.Equal(option, ex.Option);
    }

    private static ISourceFactory Factory(GeneratorSourceConfig config) => config.Build(new ComponentContext("gen", "test", Path.GetTempPath()));

    private static async Task<string[]> RunAsync(GeneratorSourceConfig config)
    {
        var context = new FakeSourceContext();
        await Factory(config).Create().RunAsync(context, Ct).WaitAsync(HangGuard, Ct);
        return [.. context.Sent.Select(s => s.Event.ToString())];
    }

    private static string Str(Event evt, string field)
        => evt.Get(FieldPath.Parse("." + field)).TryGetString(out var s) ? s : throw new Xunit.Sdk.XunitException($".{field} is not a string");
}

using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Processors.LogToMetric;
using Pipeline.Telemetry;
using static Pipeline.Tests.LogToMetric.DerivedMetricsText;
using static Pipeline.Tests.Processors.ProcessorHarness;

namespace Pipeline.Tests.LogToMetric;

public sealed class LogToMetricTests
{
    private readonly PipelineMetrics _metrics = PipelineMetrics.CreateIsolated();

    private LogToMetricFactory Start(params LogMetricSettings[] metrics)
    {
        var factory = Assert.IsType<LogToMetricFactory>(Build(new LogToMetricConfig { Metrics = [.. metrics] }));
        factory.Start(new StageRuntime(Serilog.Core.Logger.None, _metrics.ForComponent("test", "l2m", "processor")));
        return factory;
    }

    private static void Send(IProcessor processor, params string[] events)
    {
        foreach (var json in events)
        {
            var evt = Event.Parse(json);
            var emitted = Run(processor, evt);
            Assert.Same(evt, Assert.Single(emitted.Default));
        }
    }

    private static LogMetricSettings Counter(string name, Dictionary<string, string>? tags = null, string field = ".level")
        => new() { Type = LogMetricType.Counter, Field = Path(field), Name = name, Tags = tags ?? [] };

    private static string Skipped(string metric, string reason)
        => $"pipeline=\"test\",component_id=\"l2m\",component_kind=\"processor\",metric=\"{metric}\",reason=\"{reason}\"";

    [Fact]
    public async Task A_counter_counts_the_events_that_have_its_field_by_the_labels_its_templates_render()
    {
        var factory = Start(Counter("log_events_total", new() { ["level"] = "{{ .level }}", ["ns"] = "{{ .kubernetes.namespace }}" }));
        var processor = factory.CreateForIsolate(0);

        Send(processor,
            """{"level":"error","kubernetes":{"namespace":"shop"}}""",
            """{"level":"error","kubernetes":{"namespace":"shop"}}""",
            """{"level":"info","kubernetes":{"namespace":"shop"}}""",
            """{"level":"error"}""",
            """{"message":"no level: not counted"}""");

        var samples = Samples(await ScrapeAsync(_metrics), "log_events_total");
        Assert.Equal(new Dictionary<string, double>
        {
            ["level=\"error\",ns=\"shop\""] = 2,
            ["level=\"info\",ns=\"shop\""] = 1,
            ["level=\"error\",ns=\"\""] = 1,
        }, samples);
    }

    [Fact]
    public async Task Increment_by_value_adds_the_fields_number_and_counts_what_it_cannot_add()
    {
        var factory = Start(new LogMetricSettings { Type = LogMetricType.Counter, Field = Path(".bytes"), Name = "app_bytes_total", IncrementByValue = true });
        var processor = factory.CreateForIsolate(0);

        Send(processor, """{"bytes":100}""", """{"bytes":"50.5"}""", """{"bytes":"lots"}""", """{"bytes":-3}""", """{"other":1}""");

        var text = await ScrapeAsync(_metrics);
        Assert.Equal(150.5, Samples(text, "app_bytes_total")[""]);
        var skipped = Samples(text, "pipeline_log_to_metric_skipped_events_total");
        Assert.Equal(1, skipped[Skipped("app_bytes_total", "not_a_number")]);
        Assert.Equal(1, skipped[Skipped("app_bytes_total", "negative")]);
        Assert.False(skipped.ContainsKey(Skipped("app_bytes_total", "missing_field")), "a counter's missing field means the event is not one to count");
    }

    [Fact]
    public async Task A_histogram_exports_the_buckets_sum_and_count_of_the_fields_numbers()
    {
        var factory = Start(new LogMetricSettings
        {
            Type = LogMetricType.Histogram,
            Field = Path(".duration_ms"),
            Namespace = "web",
            Buckets = [10, 100],
            Tags = new() { ["method"] = "{{ .method }}" },
        });
        var processor = factory.CreateForIsolate(0);

        Send(processor,
            """{"method":"GET","duration_ms":5}""",
            """{"method":"GET","duration_ms":50}""",
            """{"method":"GET","duration_ms":"500"}""",
            """{"method":"GET","duration_ms":"slow"}""",
            """{"method":"GET"}""");

        var text = await ScrapeAsync(_metrics);
        Assert.Equal(new Dictionary<string, double>
        {
            ["method=\"GET\",le=\"10\""] = 1,
            ["method=\"GET\",le=\"100\""] = 2,
            ["method=\"GET\",le=\"+Inf\""] = 3,
        }, Samples(text, "web_duration_ms_bucket"));
        Assert.Equal(555, Samples(text, "web_duration_ms_sum")["method=\"GET\""]);
        Assert.Equal(3, Samples(text, "web_duration_ms_count")["method=\"GET\""]);
        var skipped = Samples(text, "pipeline_log_to_metric_skipped_events_total");
        Assert.Equal(1, skipped[Skipped("web_duration_ms", "not_a_number")]);
        Assert.Equal(1, skipped[Skipped("web_duration_ms", "missing_field")]);
    }

    [Fact]
    public async Task A_gauge_is_set_to_the_last_events_number()
    {
        var processor = Start(new LogMetricSettings { Type = LogMetricType.Gauge, Field = Path(".queue.depth"), Name = "app_queue_depth" }).CreateForIsolate(0);

        Send(processor, """{"queue":{"depth":7}}""", """{"queue":{"depth":3}}""");

        Assert.Equal(3, Samples(await ScrapeAsync(_metrics), "app_queue_depth")[""]);
    }

    [Fact]
    public async Task Label_sets_beyond_max_series_are_not_exported_and_their_events_are_counted()
    {
        var settings = Counter("user_events_total", new() { ["user"] = "{{ .user }}" }, field: ".user");
        settings.MaxSeries = 3;
        var processor = Start(settings).CreateForIsolate(0);

        Send(processor, [.. Enumerable.Range(0, 10).Select(i => $$"""{"user":"u{{i}}"}"""), """{"user":"u1"}"""]);

        var text = await ScrapeAsync(_metrics);
        Assert.Equal(new Dictionary<string, double>
        {
            ["user=\"u0\""] = 1,
            ["user=\"u1\""] = 2,
            ["user=\"u2\""] = 1,
        }, Samples(text, "user_events_total"));
        Assert.Equal(7, Samples(text, "pipeline_log_to_metric_skipped_events_total")[Skipped("user_events_total", "series_limit")]);
    }

    [Fact]
    public async Task A_label_value_longer_than_the_bound_is_counted_not_exported()
    {
        var processor = Start(Counter("msg_total", new() { ["msg"] = "{{ .message }}" }, field: ".message")).CreateForIsolate(0);

        Send(processor, $$"""{"message":"{{new string('x', LogToMetricProcessor.MaxLabelValueBytes + 1)}}"}""");

        var text = await ScrapeAsync(_metrics);
        Assert.Empty(Samples(text, "msg_total"));
        Assert.Equal(1, Samples(text, "pipeline_log_to_metric_skipped_events_total")[Skipped("msg_total", "label_too_long")]);
    }

    [Fact]
    public async Task The_isolates_of_a_stage_count_into_the_same_series_and_a_restarted_isolate_keeps_them()
    {
        var factory = Start(Counter("log_events_total", new() { ["level"] = "{{ .level }}" }));

        Send(factory.CreateForIsolate(0), """{"level":"error"}""");
        Send(factory.CreateForIsolate(1), """{"level":"error"}""");
        Send(factory.CreateForIsolate(0), """{"level":"error"}""");

        Assert.Equal(3, Samples(await ScrapeAsync(_metrics), "log_events_total")["level=\"error\""]);
    }

    [Fact]
    public async Task A_replacement_holding_the_metric_continues_its_series_and_unheld_series_go_only_when_removed()
    {
        var old = Start(Counter("log_events_total", new() { ["level"] = "{{ .level }}" }));
        Send(old.CreateForIsolate(0), """{"level":"error"}""");
        var replacement = Start(Counter("log_events_total", new() { ["level"] = "{{ .level }}" }));
        Send(replacement.CreateForIsolate(0), """{"level":"error"}""");

        await old.DisposeAsync();
        _metrics.Derived.RemoveUnheld();
        Assert.Equal(2, Samples(await ScrapeAsync(_metrics), "log_events_total")["level=\"error\""]);

        await replacement.DisposeAsync();
        Assert.Equal(2, Samples(await ScrapeAsync(_metrics), "log_events_total")["level=\"error\""]);
        _metrics.Derived.RemoveUnheld();
        Assert.Empty(Samples(await ScrapeAsync(_metrics), "log_events_total"));
    }

    [Fact]
    public async Task A_name_exported_with_other_labels_is_not_exported_again_and_its_events_are_counted()
    {
        var first = Start(Counter("log_events_total", new() { ["level"] = "{{ .level }}" }));
        await first.DisposeAsync();
        var log = new Pipeline.Tests.Runtime.CapturedLog();
        var factory = Assert.IsType<LogToMetricFactory>(Build(new LogToMetricConfig { Metrics = [Counter("log_events_total", new() { ["service"] = "{{ .service }}" })] }));
        factory.Start(new StageRuntime(new Serilog.LoggerConfiguration().WriteTo.Sink(log).CreateLogger(), _metrics.ForComponent("test", "l2m", "processor")));

        Send(factory.CreateForIsolate(0), """{"level":"error","service":"shop"}""");

        Assert.Equal(1, Samples(await ScrapeAsync(_metrics), "pipeline_log_to_metric_skipped_events_total")[Skipped("log_events_total", "unavailable")]);
        Assert.Contains(log.Events, e => e.RenderMessage(System.Globalization.CultureInfo.InvariantCulture).Contains("restart to apply", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_started_stage_events_pass_through_uncounted()
    {
        var factory = Build(new LogToMetricConfig { Metrics = [Counter("log_events_total")] });

        Assert.Equal("""{"level":"error"}""", RunToJson(factory, """{"level":"error"}"""));
    }

    [Fact]
    public void Counting_an_event_of_a_known_label_set_allocates_nothing()
    {
        var processor = Start(
            Counter("log_events_total", new() { ["level"] = "{{ .level }}", ["service"] = "svc-{{ .service }}" }),
            new LogMetricSettings { Type = LogMetricType.Histogram, Field = Path(".duration_ms"), Name = "app_duration_ms", Tags = new() { ["method"] = "{{ .method }}" } })
            .CreateForIsolate(0);
        var emitter = new Pipeline.Tests.Processors.RecordingEmitter();
        var events = Enumerable.Range(0, 1000).Select(i => Event.Parse($$"""{"level":"{{(i % 2 == 0 ? "info" : "error")}}","service":"shop","method":"GET","duration_ms":{{i}}}""")).ToArray();
        processor.ProcessAsync(events[0], emitter, TestContext.Current.CancellationToken);
        processor.ProcessAsync(events[1], emitter, TestContext.Current.CancellationToken);
        emitter.Emitted.Capacity = events.Length;

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 2; i < events.Length; i++)
        {
            processor.ProcessAsync(events[i], emitter, TestContext.Current.CancellationToken);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < (events.Length - 2) * 8, $"998 events of known label sets allocated {allocated} bytes");
    }
}

using System.Diagnostics;
using System.Text.Json;
using Pipeline.Processors.Script;
using Serilog.Events;

namespace Pipeline.Tests.Script;

public sealed class ScriptProcessorTests
{
    public static TheoryData<ScriptEngineKind> Engines => [ScriptEngineKind.V8, ScriptEngineKind.Jint];

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_script_transforms_drops_and_fans_out_to_named_outputs(ScriptEngineKind engine)
    {
        await using var stage = new ScriptStage(new ScriptConfig
        {
            Engine = engine,
            Outputs = ["alerts"],
            Source = """
                function process(event, emit) {
                  if (event.level === "debug") return;
                  event.service = event.service.toUpperCase();
                  event.tags = (event.tags || []).concat(["seen"]);
                  emit(event);
                  if (event.level === "error") {
                    emit({ alert: event.n, service: event.service }, "alerts");
                    emit({ alert: event.n, copy: 2 }, "alerts");
                  }
                }
                """,
        });
        stage.Add("""{"n":1,"level":"info","service":"api"}""");
        stage.Add("""{"n":2,"level":"debug","service":"api"}""");
        stage.Add("""{"n":3,"level":"error","service":"db","tags":["x"]}""");

        await stage.RunAsync();

        Assert.Equal(
            ["""{"n":1,"level":"info","service":"API","tags":["seen"]}""", """{"n":3,"level":"error","service":"DB","tags":["x","seen"]}"""],
            stage.Delivered());
        Assert.Equal(["""{"alert":3,"service":"DB"}""", """{"alert":3,"copy":2}"""], stage.Delivered("alerts"));
        Assert.Empty(stage.DeadLetters());
        Assert.Equal(1, stage.Counter("pipeline_component_discarded_events_total"));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task One_poison_event_in_a_batch_is_dead_lettered_with_the_scripts_stack_and_the_rest_delivered_once(ScriptEngineKind engine)
    {
        await using var stage = new ScriptStage(new ScriptConfig
        {
            Engine = engine,
            Source = """
                let calls = 0;
                function process(event, emit) {
                  calls++;
                  event.calls = calls;
                  if (event.poison) {
                    emit({ half: "emitted before the throw" });
                    throw new Error("cannot handle " + event.n);
                  }
                  emit(event);
                }
                """,
        });
        for (var n = 1; n <= 20; n++)
        {
            stage.Add(n == 7 ? """{"n":7,"poison":true}""" : $$"""{"n":{{n}}}""");
        }

        await stage.RunAsync();

        var delivered = stage.Delivered().Select(d => JsonDocument.Parse(d)).ToList();
        Assert.Equal([.. Enumerable.Range(1, 20).Where(n => n != 7)], delivered.Select(d => d.RootElement.GetProperty("n").GetInt32()));
        // One call took the whole batch: every good event was processed once, in order (the poison one was call 7).
        Assert.Equal([.. Enumerable.Range(1, 20).Where(n => n != 7)], delivered.Select(d => d.RootElement.GetProperty("calls").GetInt32()));
        var record = Assert.Single(stage.DeadLetters());
        Assert.Equal(7, record.GetProperty("event").GetProperty("n").GetInt32());
        Assert.Equal(3, record.GetProperty("attempts").GetInt32());
        var reason = record.GetProperty("reason").GetString()!;
        Assert.Contains("cannot handle 7", reason, StringComparison.Ordinal);
        Assert.Contains("js.js:7", reason, StringComparison.Ordinal);
        Assert.DoesNotContain(stage.Delivered(), d => d.Contains("emitted before the throw", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task An_infinite_loop_is_interrupted_at_the_cpu_time_limit_and_only_its_event_is_dead_lettered(ScriptEngineKind engine)
    {
        await using var stage = new ScriptStage(new ScriptConfig
        {
            Engine = engine,
            CpuTimeLimit = TimeSpan.FromMilliseconds(200),
            Source = """
                function process(event, emit) {
                  if (event.spin) { while (true) {} }
                  emit(event);
                }
                """,
        });
        for (var n = 1; n <= 10; n++)
        {
            stage.Add(n == 6 ? """{"n":6,"spin":true}""" : $$"""{"n":{{n}}}""");
        }

        await stage.RunAsync();

        Assert.Equal([.. Enumerable.Range(1, 10).Where(n => n != 6)], Ns(stage.Delivered()));
        var record = Assert.Single(stage.DeadLetters());
        Assert.Equal(6, record.GetProperty("event").GetProperty("n").GetInt32());
        Assert.Contains("cpu_time_limit (200 ms", record.GetProperty("reason").GetString(), StringComparison.Ordinal);
        // 10 → 5|5, the failing 5 → 2|3, 2 → 1|1: three splits and four interrupted calls, then two lone retries.
        Assert.Equal(3, stage.Counter("pipeline_processor_batch_splits_total"));
        Assert.Equal(6, stage.Counter("pipeline_script_limit_exceeded_total", "limit=\"cpu_time\""));
        Assert.Equal(6, stage.Counter("pipeline_isolate_restarts_total"));
        Assert.False(stage.Pool.IsFailed);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task A_heap_blow_up_is_contained_and_the_runtime_replaced(ScriptEngineKind engine)
    {
        await using var stage = new ScriptStage(new ScriptConfig
        {
            Engine = engine,
            HeapLimit = new(32L * 1024 * 1024),
            CpuTimeLimit = TimeSpan.FromSeconds(30),
            Source = """
                function process(event, emit) {
                  if (event.hog) {
                    const hoard = [];
                    while (true) { hoard.push(new Array(100000).fill(event.n + 0.5)); }
                  }
                  emit(event);
                }
                """,
        }, batchSize: 4);
        for (var n = 1; n <= 4; n++)
        {
            stage.Add(n == 2 ? """{"n":2,"hog":true}""" : $$"""{"n":{{n}}}""");
        }

        await stage.RunAsync();

        Assert.Equal([1, 3, 4], Ns(stage.Delivered()));
        var record = Assert.Single(stage.DeadLetters());
        Assert.Equal(2, record.GetProperty("event").GetProperty("n").GetInt32());
        Assert.Contains("heap_limit (32 MiB)", record.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(stage.Counter("pipeline_script_limit_exceeded_total", "limit=\"heap\"") >= 3, "every call with the hog in it ran out of heap");
    }

    [Fact]
    public async Task Jints_heap_limit_counts_one_events_allocations_not_a_whole_batchs()
    {
        await using var stage = new ScriptStage(new ScriptConfig
        {
            Engine = ScriptEngineKind.Jint,
            HeapLimit = new(16L * 1024 * 1024),
            CpuTimeLimit = TimeSpan.FromSeconds(30),
            Source = """
                function process(event, emit) {
                  const scratch = new Array(20000).fill(event.n + 0.5);   // about 1 MB of garbage per event
                  event.sum = scratch.length;
                  emit(event);
                }
                """,
        });
        for (var n = 1; n <= 64; n++)
        {
            stage.Add($$"""{"n":{{n}}}""");
        }

        await stage.RunAsync();

        Assert.Equal(64, stage.Delivered().Count);
        Assert.Equal(0, stage.Counter("pipeline_processor_batch_splits_total"));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Two_isolates_run_their_scripts_at_the_same_time(ScriptEngineKind engine)
    {
        // Each script waits inside process() until the other isolate's script is inside process() too: with one
        // runtime at a time, the first would wait alone and the barrier would time out.
        using var barrier = new Barrier(2);
        await using var stage = new ScriptStage(new ScriptConfig
        {
            Engine = engine,
            Source = """
                function process(event, emit) {
                  event.met = barrier.SignalAndWait(10000);
                  emit(event);
                }
                """,
        }, isolates: 2, prepare: factory => factory.HostObjects = new Dictionary<string, object> { ["barrier"] = barrier });
        stage.Add("""{"n":1}""");
        stage.Add("""{"n":2}""");

        await stage.RunAsync();

        Assert.Equal(2, stage.Delivered().Count);
        Assert.All(stage.Delivered(), d => Assert.True(JsonDocument.Parse(d).RootElement.GetProperty("met").GetBoolean(), d));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Console_lines_go_to_the_log_with_the_trace_id_of_the_event_being_processed(ScriptEngineKind engine)
    {
        await using var stage = new ScriptStage(new ScriptConfig
        {
            Engine = engine,
            Source = """
                function process(event, emit) {
                  console.log("handling", event.n, { nested: true });
                  if (event.n === 2) console.error("second one");
                  emit(event);
                }
                """,
        });
        var traces = new[] { ActivityTraceId.CreateRandom(), ActivityTraceId.CreateRandom() };
        stage.Add("""{"n":1}""", new ActivityContext(traces[0], ActivitySpanId.CreateRandom(), ActivityTraceFlags.None));
        stage.Add("""{"n":2}""", new ActivityContext(traces[1], ActivitySpanId.CreateRandom(), ActivityTraceFlags.None));

        await stage.RunAsync();

        var lines = stage.Log.Events.Where(e => e.Properties.ContainsKey("ScriptLine")).ToList();
        Assert.Equal(3, lines.Count);
        Assert.Equal("handling 1 {\"nested\":true}", Text(lines[0]));
        Assert.Equal(traces[0].ToHexString(), TraceIdOf(lines[0]));
        Assert.Equal("handling 2 {\"nested\":true}", Text(lines[1]));
        Assert.Equal(traces[1].ToHexString(), TraceIdOf(lines[1]));
        Assert.Equal("second one", Text(lines[2]));
        Assert.Equal(LogEventLevel.Error, lines[2].Level);
        Assert.Equal(traces[1].ToHexString(), TraceIdOf(lines[2]));
    }

    [Fact]
    public async Task A_script_that_emits_to_an_undeclared_output_fails_that_event_with_a_clear_reason()
    {
        await using var stage = new ScriptStage(new ScriptConfig
        {
            Outputs = ["alerts"],
            Source = """function process(event, emit) { emit(event, event.to); }""",
        });
        stage.Add("""{"n":1,"to":"alerts"}""");
        stage.Add("""{"n":2,"to":"alarms"}""");

        await stage.RunAsync();

        Assert.Single(stage.Delivered("alerts"));
        var reason = Assert.Single(stage.DeadLetters()).GetProperty("reason").GetString();
        Assert.Contains("unknown output 'alarms'; the stage declares outputs: alerts", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_script_whose_top_level_throws_crashes_its_isolate_like_a_failing_constructor_and_fails_the_stage_past_its_restarts()
    {
        await using var stage = new ScriptStage(new ScriptConfig
        {
            Source = "const table = lookup.load();\nfunction process(event, emit) { emit(event); }",
        }, maxRestarts: 1);
        stage.Add("""{"n":1}""");

        await stage.RunAsync();

        Assert.True(stage.Pool.IsFailed);
        Assert.Contains("lookup is not defined", stage.Pool.FailureReason, StringComparison.Ordinal);
        Assert.Equal("stage_failed", Assert.Single(stage.DeadLetters()).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task An_instance_processes_one_event_outside_an_isolate_and_throws_the_scripts_error()
    {
        var factory = new ScriptConfig
        {
            Outputs = ["odd"],
            Source = """
                function process(event, emit) {
                  if (event.n < 0) throw new RangeError("negative " + event.n);
                  emit(event, event.n % 2 ? "odd" : undefined);
                }
                """,
        }.Build(Processors.ProcessorHarness.Context);
        var processor = factory.CreateForIsolate(0);
        try
        {
            var emitter = new Processors.RecordingEmitter();
            await processor.ProcessAsync(Pipeline.Events.Event.Parse("""{"n":3}"""), emitter, TestContext.Current.CancellationToken);
            await processor.ProcessAsync(Pipeline.Events.Event.Parse("""{"n":4}"""), emitter, TestContext.Current.CancellationToken);
            var error = await Assert.ThrowsAsync<ScriptException>(
                async () => await processor.ProcessAsync(Pipeline.Events.Event.Parse("""{"n":-1}"""), emitter, TestContext.Current.CancellationToken));

            Assert.Equal("""{"n":4}""", Assert.Single(emitter.Default).ToString());
            Assert.Equal("""{"n":3}""", Assert.Single(emitter.Emitted, e => e.Output == 0).Event.ToString());
            Assert.StartsWith("RangeError: negative -1", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            ((IDisposable)processor).Dispose();
        }
    }

    private static int[] Ns(IEnumerable<string> delivered) => [.. delivered.Select(d => JsonDocument.Parse(d).RootElement.GetProperty("n").GetInt32())];

    private static string Text(LogEvent line) => ((ScalarValue)line.Properties["ScriptLine"]).Value!.ToString()!;

    private static string? TraceIdOf(LogEvent line) => line.TraceId?.ToHexString()
        ?? (line.Properties.TryGetValue("trace_id", out var id) ? ((ScalarValue)id).Value?.ToString() : null);
}

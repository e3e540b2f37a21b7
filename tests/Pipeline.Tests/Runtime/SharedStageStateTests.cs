using System.Collections.Concurrent;
using Pipeline.Components;

namespace Pipeline.Tests.Runtime;

public sealed class SharedStageStateTests
{
    [Fact]
    public async Task A_stages_shared_state_starts_once_before_its_instances_and_is_disposed_once_after_they_stopped()
    {
        var factory = new StatefulFactory();
        var sink = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(3))
            .Stage("stateful", factory, ["in"], TestPipeline.Settings(isolates: 2))
            .Sink("out", sink, ["stateful"]);
        var topology = await pipeline.StartAsync();

        await topology.Completion.Guarded();
        await TestWaits.UntilAsync(() => factory.Steps.Contains("dispose"));

        Assert.Equal(["start", "create", "create", "dispose"], factory.Steps.ToArray());
        Assert.Equal("stateful", factory.Runtime!.Metrics.ComponentId);
        Assert.Equal(3, sink.Delivered.Count);
    }

    [Fact]
    public async Task A_sinks_shared_state_starts_once_before_its_instances_and_is_disposed_once_after_they_stopped()
    {
        var factory = new StatefulSinkFactory();
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(3))
            .Sink("out", factory, ["in"], TestPipeline.Settings(isolates: 2));
        var topology = await pipeline.StartAsync();

        await topology.Completion.Guarded();
        await TestWaits.UntilAsync(() => factory.Steps.Contains("dispose"));

        Assert.Equal(["start", "create", "create", "dispose"], factory.Steps.ToArray());
        Assert.Equal(("out", 3), (factory.Runtime!.Metrics.ComponentId, factory.Delivered.Delivered.Count));
    }

    [Fact]
    public async Task A_sinks_shared_state_behind_a_disk_buffer_is_disposed_once_the_buffer_is_drained()
    {
        var factory = new StatefulSinkFactory();
        await using var pipeline = new TestPipeline()
            .Source("in", new CountingSource(3))
            .Sink("out", factory, ["in"], DiskBufferTests.DiskSettings(isolates: 2));
        var topology = await pipeline.StartAsync();

        await topology.Completion.Guarded();
        await TestWaits.UntilAsync(() => factory.Steps.Contains("dispose"));

        Assert.Equal(["start", "create", "create", "dispose"], factory.Steps.ToArray());
        Assert.Equal(3, factory.Delivered.Delivered.Count);
    }

    private sealed class StatefulSinkFactory : ISinkFactory, ISharedStageState
    {
        public ConcurrentQueue<string> Steps { get; } = new();

        public RecordingSink Delivered { get; } = new();

        public StageRuntime? Runtime { get; private set; }

        public void Start(StageRuntime runtime)
        {
            Runtime = runtime;
            Steps.Enqueue("start");
        }

        public ISink CreateForIsolate(int isolateIndex)
        {
            Steps.Enqueue("create");
            return Delivered.CreateForIsolate(isolateIndex);
        }

        public ValueTask DisposeAsync()
        {
            Steps.Enqueue("dispose");
            return ValueTask.CompletedTask;
        }
    }

    private sealed class StatefulFactory : IProcessorFactory, ISharedStageState
    {
        public ConcurrentQueue<string> Steps { get; } = new();

        public StageRuntime? Runtime { get; private set; }

        public void Start(StageRuntime runtime)
        {
            Runtime = runtime;
            Steps.Enqueue("start");
        }

        public IProcessor CreateForIsolate(int isolateIndex)
        {
            Steps.Enqueue("create");
            return DelegateProcessorFactory.PassThrough.CreateForIsolate(isolateIndex);
        }

        public ValueTask DisposeAsync()
        {
            Steps.Enqueue("dispose");
            return ValueTask.CompletedTask;
        }
    }
}

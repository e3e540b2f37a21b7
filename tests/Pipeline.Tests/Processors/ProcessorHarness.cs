using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Tests.Processors;

/// <summary>Runs one event through a processor made by a factory, the way an isolate would.</summary>
internal static class ProcessorHarness
{
    /// <summary>What a build step sees when a test builds a component outside a config file.</summary>
    public static ComponentContext Context { get; } = new("under_test", "test", System.IO.Path.GetTempPath());

    /// <summary>Runs a processor's build step, as loading a config would.</summary>
    public static IProcessorFactory Build(IProcessorConfig config) => config.Build(Context);

    public static RecordingEmitter Run(IProcessorFactory factory, string json)
        => Run(factory.CreateForIsolate(0), Event.Parse(json));

    public static RecordingEmitter Run(IProcessor processor, Event evt)
    {
        var emitter = new RecordingEmitter();
        var task = processor.ProcessAsync(evt, emitter, TestContext.Current.CancellationToken);
        Assert.True(task.IsCompletedSuccessfully, "a synchronous processor completed its ValueTask synchronously");
        return emitter;
    }

    /// <summary>The single event emitted on the default output, as JSON.</summary>
    public static string RunToJson(IProcessorFactory factory, string json)
        => Assert.Single(Run(factory, json).Default).ToString();

    public static FieldPath Path(string text) => FieldPath.Parse(text);
}

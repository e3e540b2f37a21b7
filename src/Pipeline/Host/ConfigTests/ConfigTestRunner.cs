using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Config.UnitTests;
using Pipeline.Events;

namespace Pipeline.Host.ConfigTests;

/// <summary>
/// Runs one <see cref="ConfigUnitTest"/>: fresh processors for the topology's stages (so state never leaks from one
/// test to the next), the inserted events pushed through them in order, every stage's output collected, then the
/// assertions checked.
/// </summary>
/// <remarks>
/// The stages run here on one thread, one event at a time, with one instance each and no mailboxes: a test checks what
/// the stages do to events, not the isolate runtime (its own tests cover that). A stage's background state (the
/// kubernetes enricher's pod watch) is not started, so such a stage enriches from what the event itself carries.
/// </remarks>
public static class ConfigTestRunner
{
    public static async Task<IReadOnlyList<UnitTestFailure>> RunAsync(PipelineConfig config, ConfigUnitTest test, CancellationToken cancellationToken)
    {
        var stages = config.Stages.ToDictionary(s => s.Id, StringComparer.Ordinal);
        var consumers = ConsumersByOutput(config);
        var processors = new Dictionary<string, IProcessor>(StringComparer.Ordinal);
        var collected = new Dictionary<string, List<Event>>(StringComparer.Ordinal);
        var failures = new List<UnitTestFailure>();
        var deadLettered = new List<string>();

        var pending = new Queue<(string Stage, Event Event)>();
        foreach (var input in test.Inputs)
        {
            foreach (var json in input.Events)
            {
                pending.Enqueue((input.InsertAt, Event.Parse(json)));
            }
        }
        var emitter = new CollectingEmitter();
        while (pending.TryDequeue(out var work))
        {
            var stage = stages[work.Stage];
            var factory = (IProcessorFactory)stage.Factory;
            if (!processors.TryGetValue(stage.Id, out var processor))
            {
                processor = factory.CreateForIsolate(0);
                processors.Add(stage.Id, processor);
            }
            emitter.Emitted.Clear();
            try
            {
                await processor.ProcessAsync(work.Event, emitter, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                deadLettered.Add($"stage '{stage.Id}' failed an event: {e.Message}");
                continue;
            }
            foreach (var (output, evt) in emitter.Emitted)
            {
                var key = output < 0 ? stage.Id : $"{stage.Id}.{factory.NamedOutputs[output]}";
                // Copies, because the next stage changes its event in place, as it may in an isolate.
                Collect(collected, key, evt.Clone());
                if (consumers.TryGetValue(key, out var next))
                {
                    foreach (var consumer in next)
                    {
                        pending.Enqueue((consumer, evt.Clone()));
                    }
                }
            }
        }

        CheckOutputs(test, collected, failures);
        if (deadLettered.Count != test.DeadLettered)
        {
            var why = deadLettered.Count == 0 ? "" : $": {string.Join("; ", deadLettered.Take(3))}";
            failures.Add(new UnitTestFailure(test.DeadLetteredMark,
                $"expected {Events(test.DeadLettered)} to fail in a stage (dead_lettered), found {deadLettered.Count}{why}"));
        }
        return failures;
    }

    private static void CheckOutputs(ConfigUnitTest test, Dictionary<string, List<Event>> collected, List<UnitTestFailure> failures)
    {
        foreach (var output in test.Outputs)
        {
            var events = collected.GetValueOrDefault(output.ExtractFrom.Text) ?? [];
            if (output.Count is { } count ? events.Count != count : events.Count == 0)
            {
                failures.Add(new UnitTestFailure(output.Count is null ? output.ExtractFrom.Mark : output.CountMark,
                    $"expected {(output.Count is { } n ? Events(n) : "at least one event")} from {output.ExtractFrom.Text}, found {events.Count}"));
            }
            foreach (var condition in output.Conditions)
            {
                for (var i = 0; i < events.Count; i++)
                {
                    if (condition.Check(events[i]) is { } found)
                    {
                        failures.Add(new UnitTestFailure(condition.Mark,
                            $"expected {condition.Describe}, found {found} (event {i + 1} of {events.Count} from {output.ExtractFrom.Text}: {Shorten(events[i].ToString())})"));
                        break;
                    }
                }
            }
        }
        foreach (var silent in test.NoOutputsFrom)
        {
            if (collected.GetValueOrDefault(silent.Text) is { Count: > 0 } events)
            {
                failures.Add(new UnitTestFailure(silent.Mark, $"expected no events from {silent.Text}, found {events.Count} (the first: {Shorten(events[0].ToString())})"));
            }
        }
    }

    /// <summary>For every stage output ("id" or "id.name"), the stages that read it; sinks do not run in a test.</summary>
    private static Dictionary<string, List<string>> ConsumersByOutput(PipelineConfig config)
    {
        var consumers = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var stage in config.Stages)
        {
            foreach (var input in stage.Inputs)
            {
                if (!consumers.TryGetValue(input.Text, out var list))
                {
                    consumers[input.Text] = list = [];
                }
                list.Add(stage.Id);
            }
        }
        return consumers;
    }

    private static void Collect(Dictionary<string, List<Event>> collected, string key, Event evt)
    {
        if (!collected.TryGetValue(key, out var list))
        {
            collected[key] = list = [];
        }
        list.Add(evt);
    }

    private static string Events(int n) => n == 1 ? "1 event" : $"{n} events";

    private static string Shorten(string json) => json.Length <= 200 ? json : string.Concat(json.AsSpan(0, 200), "…");
}

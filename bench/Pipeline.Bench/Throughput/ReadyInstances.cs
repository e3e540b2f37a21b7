using System.Diagnostics;
using System.Text.Json.Nodes;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// The processor instances a stage's isolates run, made before any clock starts and lent to each round of a run:
/// making one (a JavaScript engine and the script's compile, a child process's start) is what an isolate pays when it
/// starts or restarts, not per event, so it is measured here, apart. Start time is from asking the factory for an instance
/// until that instance has transformed its first event (an engine that compiles lazily pays then); memory is what the
/// process, and the instances' child processes, hold more once all of them have.
/// </summary>
internal sealed class ReadyInstances : IProcessorFactory, IDisposable
{
    private readonly IProcessor[] _instances;

    private ReadyInstances(IProcessor[] instances, double startMilliseconds, double memoryMib)
    {
        _instances = instances;
        StartMillisecondsPerIsolate = startMilliseconds;
        MemoryMibPerIsolate = memoryMib;
    }

    public double StartMillisecondsPerIsolate { get; }

    /// <summary>PSS (<see cref="ProcessMemory"/>) after the instances, less before them, over their count.</summary>
    public double MemoryMibPerIsolate { get; }

    /// <summary>Makes <paramref name="count"/> instances one after another; each must turn <paramref name="inputJson"/>
    /// into an event equal to <paramref name="expectedJson"/> (members in any order), or the arm measures another job.</summary>
    public static async Task<ReadyInstances> CreateAsync(IProcessorFactory factory, int count, string inputJson, string expectedJson)
    {
        var before = SettledMemoryMib([]);
        var instances = new List<IProcessor>(count);
        var clock = new Stopwatch();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var input = Event.Parse(inputJson);
                var output = new EmittedEvents();
                clock.Start();
                instances.Add(factory.CreateForIsolate(i));
                await instances[i].ProcessAsync(input, output, CancellationToken.None).ConfigureAwait(false);
                clock.Stop();
                var found = output.Events.Count == 1 ? output.Events[0].ToString() : $"{output.Events.Count} events";
                if (output.Events.Count != 1 || !JsonNode.DeepEquals(JsonNode.Parse(found), JsonNode.Parse(expectedJson)))
                {
                    throw new InvalidOperationException($"instance {i} of {instances[i].GetType().Name} transformed the input into {found}, expected {expectedJson}");
                }
            }
        }
        catch
        {
            Dispose(instances);
            throw;
        }
        var after = SettledMemoryMib(instances);
        return new ReadyInstances([.. instances], clock.Elapsed.TotalMilliseconds / count, (after - before) / count);
    }

    /// <summary>CPU time (user + system) of this process and of the instances' child processes so far.</summary>
    public TimeSpan ProcessorTime()
    {
        using var self = Process.GetCurrentProcess();
        var total = self.TotalProcessorTime;
        foreach (var instance in _instances)
        {
            if (instance is WorkerProcessor worker)
            {
                total += worker.ProcessorTime();
            }
        }
        return total;
    }

    public IProcessor CreateForIsolate(int isolateIndex) => _instances[isolateIndex] switch
    {
        IBatchProcessor batches => new LentBatchProcessor(_instances[isolateIndex], batches),
        var instance => new LentProcessor(instance),
    };

    public void Dispose() => Dispose(_instances);

    private static void Dispose(IEnumerable<IProcessor> instances)
    {
        foreach (var instance in instances)
        {
            (instance as IDisposable)?.Dispose();
        }
    }

    /// <summary>This process's PSS with its garbage collected, plus the instances' child processes'.</summary>
    private static double SettledMemoryMib(IEnumerable<IProcessor> instances)
    {
        // What earlier runs' events left pooled and the heap still has committed would be given back to the system
        // between the two readings, and show as a negative cost.
        EventMemory.Trim();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var total = ProcessMemory.ProportionalSetMib(Environment.ProcessId);
        foreach (var instance in instances)
        {
            if (instance is WorkerProcessor worker)
            {
                total += ProcessMemory.ProportionalSetMib(worker.ProcessId);
            }
        }
        return total;
    }
}

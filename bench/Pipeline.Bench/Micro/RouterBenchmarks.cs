using BenchmarkDotNet.Attributes;
using Pipeline.Events;
using Pipeline.Isolates;

namespace Pipeline.Bench.Micro;

/// <summary>What picking an isolate costs per event, for each router, over a pool of 4 isolates.</summary>
[MemoryDiagnoser]
public class RouterBenchmarks
{
    private const int Isolates = 4;

    private Event _event = null!;
    private RoundRobinRouter _roundRobin = null!;
    private LeastLoadedRouter _leastLoaded = null!;
    private KeyAffinityRouter _keyAffinity = null!;

    [GlobalSetup]
    public void Setup()
    {
        _event = Event.Parse("""{"message":"GET /api/orders 200","user":{"id":"u-81723"},"level":"info"}""");
        _roundRobin = new RoundRobinRouter(Isolates);
        var mailboxes = Enumerable.Range(0, Isolates).Select(_ => new Mailbox(1024)).ToArray();
        // Uneven depths, so the scan has to compare rather than stop at the first empty mailbox.
        for (var i = 0; i < Isolates; i++)
        {
            for (var n = 0; n <= i + 1; n++)
            {
                mailboxes[i].TryWrite(new Envelope(_event, default, 0, 1, "bench"));
            }
        }
        _leastLoaded = new LeastLoadedRouter(mailboxes);
        _keyAffinity = new KeyAffinityRouter(FieldPath.Parse(".user.id"), Isolates);
    }

    [Benchmark(Baseline = true)]
    public int RoundRobin() => _roundRobin.Route(_event);

    [Benchmark]
    public int LeastLoaded() => _leastLoaded.Route(_event);

    [Benchmark]
    public int KeyAffinity() => _keyAffinity.Route(_event);
}

using System.Collections.Concurrent;
using System.IO.Hashing;
using Pipeline.Config;
using Pipeline.Events;
using Pipeline.Isolates;
using static Pipeline.Tests.Runtime.TestEvents;

namespace Pipeline.Tests.Runtime;

public sealed class RoutingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly FieldPath User = FieldPath.Parse(".user");

    [Fact]
    public async Task Key_affinity_sends_every_event_of_a_key_to_one_isolate_in_order()
    {
        var seen = new ConcurrentDictionary<string, List<(int Seq, int Isolate)>>();
        var recorder = new DelegateProcessorFactory((evt, output, isolate) =>
        {
            evt.Get(User).TryGetString(out var user);
            // Appended without a lock on purpose: if two isolates shared a key, this list would be corrupted or disordered.
            seen.GetOrAdd(user, _ => []).Add((SeqOf(evt), isolate));
            output.Emit(evt);
            return ValueTask.CompletedTask;
        });
        var source = new ControlledSource();
        var sink = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", source)
            .Stage("keyed", recorder, ["in"], TestPipeline.Settings(isolates: 4, router: RouterKind.KeyAffinity, key: ".user"))
            .Sink("out", sink, ["keyed"]);
        var topology = await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        // Keys in a seeded random order, so that no other router could line them up with isolates by accident.
        var random = new Random(42);
        var users = Enumerable.Range(0, 8).SelectMany(u => Enumerable.Repeat($"user-{u}", 50)).OrderBy(_ => random.Next()).ToArray();
        for (var seq = 0; seq < users.Length; seq++)
        {
            Assert.True(await context.SendAsync(Seq(seq, users[seq]), default, Ct).Guarded());
        }
        source.Finish();
        await topology.Completion.Guarded();

        Assert.Equal(8, seen.Count);
        foreach (var (user, events) in seen)
        {
            Assert.Equal(50, events.Count);
            Assert.Single(events.Select(e => e.Isolate).Distinct());
            Assert.Equal(events.Select(e => e.Seq).Order(), events.Select(e => e.Seq));
        }
        Assert.Equal(400, sink.Delivered.Count);
    }

    [Fact]
    public async Task Key_affinity_spreads_many_keys_over_all_isolates()
    {
        var isolatesSeen = new ConcurrentDictionary<int, int>();
        var recorder = new DelegateProcessorFactory((evt, output, isolate) =>
        {
            isolatesSeen.AddOrUpdate(isolate, 1, (_, n) => n + 1);
            output.Emit(evt);
            return ValueTask.CompletedTask;
        });
        var source = new ControlledSource();
        await using var pipeline = new TestPipeline()
            .Source("in", source)
            .Stage("keyed", recorder, ["in"], TestPipeline.Settings(isolates: 4, router: RouterKind.KeyAffinity, key: ".user"))
            .Sink("out", new RecordingSink(), ["keyed"]);
        var topology = await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        for (var seq = 0; seq < 200; seq++)
        {
            Assert.True(await context.SendAsync(Seq(seq, $"user-{seq}"), default, Ct).Guarded());
        }
        source.Finish();
        await topology.Completion.Guarded();

        Assert.Equal([0, 1, 2, 3], isolatesSeen.Keys.Order());
        Assert.All(isolatesSeen.Values, n => Assert.InRange(n, 20, 80));
    }

    [Fact]
    public void Key_affinity_hash_is_stable_across_router_instances_and_processes()
    {
        var first = new KeyAffinityRouter(User, 8);
        var second = new KeyAffinityRouter(User, 8);

        for (var i = 0; i < 100; i++)
        {
            var evt = Seq(i, $"user-{i}");
            Assert.Equal(first.Route(evt), second.Route(evt));
            // XxHash3 with seed 0 is not randomised per process, unlike string.GetHashCode.
            Assert.Equal((int)(XxHash3.HashToUInt64(System.Text.Encoding.UTF8.GetBytes($"user-{i}")) % 8), first.Route(evt));
        }
    }

    [Fact]
    public void Key_affinity_sends_events_without_the_key_to_a_fixed_isolate()
    {
        var router = new KeyAffinityRouter(User, 8);

        Assert.Equal(KeyAffinityRouter.KeylessIsolate, router.Route(Seq(1)));
        Assert.Equal(KeyAffinityRouter.KeylessIsolate, router.Route(Event.Parse("""{"user":null}""")));
    }

    [Fact]
    public void Key_affinity_hashes_keys_other_than_strings_and_non_negative_integers_by_their_json()
    {
        var router = new KeyAffinityRouter(User, 16);

        var fromNumber = router.Route(Event.Parse("""{"user":-12345.5}"""));
        var fromObject = router.Route(Event.Parse("""{"user":{"id":7}}"""));

        Assert.Equal(router.IsolateFor("-12345.5"u8), fromNumber);
        Assert.Equal(router.IsolateFor("""{"id":7}"""u8), fromObject);
    }

    [Fact]
    public void Round_robin_takes_the_isolates_in_turn()
    {
        var router = new RoundRobinRouter(3);
        var evt = Seq(1);

        Assert.Equal([0, 1, 2, 0, 1, 2], Enumerable.Range(0, 6).Select(_ => router.Route(evt)));
    }

    [Fact]
    public void Least_loaded_picks_the_shortest_mailbox()
    {
        var mailboxes = new[] { new Mailbox(8), new Mailbox(8), new Mailbox(8) };
        Fill(mailboxes[0], 3);
        Fill(mailboxes[1], 1);
        Fill(mailboxes[2], 2);
        var router = new LeastLoadedRouter(mailboxes);

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(1, router.Route(Seq(i)));
        }
    }

    [Fact]
    public async Task Two_isolates_of_one_stage_process_at_the_same_time()
    {
        // Each event waits inside the processor until the other one is inside too: only two isolates running at once get both through.
        var inside = 0;
        var bothInside = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var isolates = new ConcurrentBag<int>();
        var rendezvous = new DelegateProcessorFactory(async (evt, output, isolate) =>
        {
            isolates.Add(isolate);
            if (Interlocked.Increment(ref inside) == 2)
            {
                bothInside.TrySetResult();
            }
            await bothInside.Task.WaitAsync(TimeSpan.FromSeconds(5));
            output.Emit(evt);
        });
        var source = new ControlledSource();
        var sink = new RecordingSink();
        await using var pipeline = new TestPipeline()
            .Source("in", source)
            .Stage("parallel", rendezvous, ["in"], TestPipeline.Settings(isolates: 2, maxAttempts: 1))
            .Sink("out", sink, ["parallel"]);
        var topology = await pipeline.StartAsync();
        var context = await source.Context.Guarded();

        Assert.True(await context.SendAsync(Seq(1), default, Ct).Guarded());
        Assert.True(await context.SendAsync(Seq(2), default, Ct).Guarded());
        await bothInside.Task.Guarded();
        source.Finish();
        await topology.Completion.Guarded();

        Assert.Equal([0, 1], isolates.Order());
        Assert.Equal([1, 2], Seqs(sink.Delivered).Order());
        Assert.Empty(pipeline.DeadLetters());
    }

    private static void Fill(Mailbox mailbox, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.True(mailbox.TryWrite(new Envelope(Seq(i), default, 0, 1, "test")));
        }
    }
}

using System.Collections.Concurrent;
using Pipeline.Events;

namespace Pipeline.Tests.Events;

/// <summary>
/// The pool behind events: arrays rented on one thread and returned on another must come back to renters without
/// ever being handed to two holders at once.
/// </summary>
public sealed class EventArrayPoolTests
{
    [Fact]
    public void Rented_arrays_have_a_pooled_size_and_other_sizes_are_left_to_the_collector()
    {
        var pool = new EventArrayPool<int>(maxArrayLength: 1024, maxArraysPerClass: 64);

        Assert.Equal(16, pool.Rent(1).Length);
        Assert.Equal(16, pool.Rent(16).Length);
        Assert.Equal(32, pool.Rent(17).Length);
        Assert.Equal(1024, pool.Rent(1000).Length);
        Assert.Equal(5000, pool.Rent(5000).Length);
        Assert.Empty(pool.Rent(0));

        // Arrays the pool never hands out are not kept, and returning them is harmless.
        pool.Return(new int[5000]);
        pool.Return(new int[100]);
        pool.Return([]);
        Assert.Equal(0, pool.DepotArrays(100));
    }

    [Fact]
    public void A_thread_gets_back_what_it_returned()
    {
        var pool = new EventArrayPool<int>(maxArrayLength: 1024, maxArraysPerClass: 64);
        var first = pool.Rent(100);
        pool.Return(first);

        Assert.Same(first, pool.Rent(100));
    }

    [Fact]
    public void Arrays_returned_on_another_thread_reach_the_renting_thread_in_whole_magazines()
    {
        var pool = new EventArrayPool<int>(maxArrayLength: 1024, maxArraysPerClass: 4096);
        var rented = new List<int[]>();
        for (var i = 0; i < 1000; i++)
        {
            rented.Add(pool.Rent(100));
        }

        // The sink's side: every array goes back on another thread; all but its last partial magazine reach the depot.
        var returner = new Thread(() => rented.ForEach(a => pool.Return(a)));
        returner.Start();
        returner.Join();
        Assert.Equal(1000 / EventArrayPool<int>.MagazineSize * EventArrayPool<int>.MagazineSize, pool.DepotArrays(100));

        // The renting thread takes the depot's magazines whole: those arrays come back, and only the returner's last
        // partial magazine (kept by that thread) is missing.
        var inDepot = pool.DepotArrays(100);
        var known = new HashSet<int[]>(rented, ReferenceEqualityComparer.Instance);
        var reused = Enumerable.Range(0, 1000).Select(_ => pool.Rent(100)).Count(known.Contains);
        Assert.Equal(inDepot, reused);
        Assert.Equal(0, pool.DepotArrays(100));
    }

    [Fact]
    public void The_depot_keeps_at_most_its_capacity()
    {
        var pool = new EventArrayPool<int>(maxArrayLength: 1024, maxArraysPerClass: 64);
        var arrays = Enumerable.Range(0, 500).Select(_ => new int[128]).ToList();

        arrays.ForEach(a => pool.Return(a));

        Assert.Equal(64, pool.DepotArrays(128));
    }

    [Fact]
    public async Task Under_concurrent_renters_and_returners_no_array_is_ever_held_twice()
    {
        // Producers rent arrays and hand them over a queue; consumers return them, as sources and sinks do. Each
        // holder registers the array while it holds it: a second registration means the pool gave it out twice.
        var pool = new EventArrayPool<int>(maxArrayLength: 1024, maxArraysPerClass: 256);
        var held = new ConcurrentDictionary<int[], bool>(ReferenceEqualityComparer.Instance);
        using var queue = new BlockingCollection<int[]>(boundedCapacity: 300);
        var doubles = 0;
        var producers = Enumerable.Range(0, 2).Select(p => Task.Run(() =>
        {
            for (var i = 0; i < 50_000; i++)
            {
                var array = pool.Rent(1 + ((i * 7) % 200));
                if (!held.TryAdd(array, true))
                {
                    Interlocked.Increment(ref doubles);
                }
                array[0] = p;
                queue.Add(array);
            }
        }, TestContext.Current.CancellationToken)).ToArray();
        var consumers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            foreach (var array in queue.GetConsumingEnumerable())
            {
                held.TryRemove(array, out var _);
                pool.Return(array);
            }
        }, TestContext.Current.CancellationToken)).ToArray();

        await Task.WhenAll(producers).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        queue.CompleteAdding();
        await Task.WhenAll(consumers).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(0, doubles);
        Assert.Empty(held);
    }
}

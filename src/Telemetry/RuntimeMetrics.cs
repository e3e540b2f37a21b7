using Prometheus;

namespace Pipeline.Telemetry;

/// <summary>
/// .NET runtime metrics beside prometheus-net's own process and GC-collection ones: GC pause time, heap size and
/// allocations, the thread pool's threads, queue and throughput, lock contention. Read from the runtime's own
/// counters when metrics are collected, so they cost nothing in between.
/// </summary>
/// <remarks>
/// Why by hand: prometheus-net's Meter adapter publishes the runtime's System.Runtime meter with UpDownCounters as
/// gauges named <c>*_count</c> (<c>system_runtime_dotnet_thread_pool_thread_count</c>, …), which
/// <c>promtool check metrics</c> rejects; and its EventCounter adapter duplicates the same figures. Both are kept off
/// the default registry (<see cref="ConfigureDefaultRegistry"/>); these few gauges and counters replace them, and
/// <see cref="MeterMetrics"/> leaves the System.Runtime meter out.
/// </remarks>
public static class RuntimeMetrics
{
    private static int _defaultRegistryConfigured;

    /// <summary>
    /// Keeps prometheus-net's debug metrics, its EventCounter adapter and its Meter adapter off the default registry
    /// (the process metrics and GC collection counts stay; <see cref="MeterMetrics"/> publishes the other meters, such
    /// as Kestrel's, typed as counters where they count). Takes effect only before the default registry is first
    /// used, so the service host calls it first thing.
    /// </summary>
    public static void ConfigureDefaultRegistry()
    {
        if (Interlocked.Exchange(ref _defaultRegistryConfigured, 1) != 0)
        {
            return;
        }
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions
        {
            SuppressDebugMetrics = true,
            SuppressEventCounters = true,
            SuppressMeters = true,
            SuppressProcessMetrics = false,
        });
    }

    /// <summary>Adds the runtime metrics to <paramref name="registry"/> (again on the same registry is harmless).</summary>
    public static void Register(CollectorRegistry registry)
    {
        var factory = Metrics.WithCustomRegistry(registry);
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        var pause = factory.CreateCounter("dotnet_gc_pause_seconds_total", "Time the GC paused the process.");
        var heap = factory.CreateGauge("dotnet_gc_heap_size_bytes", "GC heap size after the last collection.");
        var allocated = factory.CreateCounter("dotnet_gc_allocated_bytes_total", "Bytes allocated on the GC heap.");
        var threads = factory.CreateGauge("dotnet_threadpool_threads", "Thread pool threads.");
        var queue = factory.CreateGauge("dotnet_threadpool_queue_length", "Work items queued to the thread pool, not yet started.");
        var completed = factory.CreateCounter("dotnet_threadpool_completed_items_total", "Work items the thread pool completed.");
        var contentions = factory.CreateCounter("dotnet_monitor_lock_contentions_total", "Times a thread waited for a contended lock.");
        registry.AddBeforeCollectCallback(() =>
        {
            pause.IncTo(GC.GetTotalPauseDuration().TotalSeconds);
            heap.Set(GC.GetGCMemoryInfo().HeapSizeBytes);
            allocated.IncTo(GC.GetTotalAllocatedBytes());
            threads.Set(ThreadPool.ThreadCount);
            queue.Set(ThreadPool.PendingWorkItemCount);
            completed.IncTo(ThreadPool.CompletedWorkItemCount);
            contentions.IncTo(Monitor.LockContentionCount);
        });
    }
}

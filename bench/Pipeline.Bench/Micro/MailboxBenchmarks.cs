using BenchmarkDotNet.Attributes;
using Pipeline.Events;
using Pipeline.Isolates;

namespace Pipeline.Bench.Micro;

/// <summary>
/// The cost of one hand-off through an isolate's mailbox: one envelope at a time, a batch drained at once (what an
/// isolate does per wake), and a producer and a consumer on two threads (what the pipeline actually does).
/// </summary>
[MemoryDiagnoser]
public class MailboxBenchmarks
{
    private const int Batch = 64;
    private const int CrossThreadEvents = 100_000;

    private Mailbox _mailbox = null!;
    private Envelope _envelope;

    [GlobalSetup]
    public void Setup()
    {
        _mailbox = new Mailbox(1024);
        _envelope = new Envelope(Event.Parse("""{"message":"hello","level":"info"}"""), default, 0, 1, "bench");
    }

    /// <summary>TryWrite then TryRead of one envelope.</summary>
    [Benchmark(Baseline = true)]
    public bool SingleHandOff()
    {
        _mailbox.TryWrite(_envelope);
        return _mailbox.TryRead(out _);
    }

    /// <summary>64 TryWrites, then 64 TryReads in one drain; reported per envelope.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int BatchDrain()
    {
        for (var i = 0; i < Batch; i++)
        {
            _mailbox.TryWrite(_envelope);
        }
        var drained = 0;
        while (drained < Batch && _mailbox.TryRead(out _))
        {
            drained++;
        }
        return drained;
    }

    /// <summary>A producer thread and a consumer loop draining batches; reported per envelope.</summary>
    [Benchmark(OperationsPerInvoke = CrossThreadEvents)]
    public async Task<int> AcrossThreads()
    {
        var mailbox = new Mailbox(1024);
        var consumer = Task.Run(async () =>
        {
            var received = 0;
            while (await mailbox.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                var taken = 0;
                while (taken < Batch && mailbox.TryRead(out _))
                {
                    taken++;
                }
                received += taken;
            }
            return received;
        });
        for (var i = 0; i < CrossThreadEvents; i++)
        {
            if (!mailbox.TryWrite(_envelope))
            {
                await mailbox.WriteAsync(_envelope, CancellationToken.None).ConfigureAwait(false);
            }
        }
        mailbox.Complete();
        return await consumer.ConfigureAwait(false);
    }
}

using Pipeline.Components;

namespace Pipeline.Tests.Runtime;

/// <summary>Sends <c>count</c> events numbered from <c>first</c>, then returns on its own (like a generator with a count).</summary>
internal sealed class CountingSource(int count, int first = 1) : ISourceFactory
{
    private int _runs;

    /// <summary>The first run throws before sending anything, to exercise the source supervisor.</summary>
    public bool FailFirstRun { get; init; }

    public ISource Create() => new Run(this);

    private sealed class Run(CountingSource owner) : ISource
    {
        public async Task RunAsync(ISourceContext context, CancellationToken stopping)
        {
            if (Interlocked.Increment(ref owner._runs) == 1 && owner.FailFirstRun)
            {
                throw new IOException("input not there yet");
            }
            for (var i = 0; i < owner.Count; i++)
            {
                if (!await context.SendAsync(TestEvents.Seq(owner.First + i), default, stopping))
                {
                    return;
                }
            }
        }
    }

    private int Count => count;

    private int First => first;
}

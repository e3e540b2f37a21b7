using Pipeline.Fuzzing;

namespace Pipeline.Tests.Fuzz;

/// <summary>
/// Hostile requests through the real http ingest handler: a documented status and never a 5xx, no hang, every line
/// accounted for, and bounded memory. Alone in its collection, because its memory checks read process-wide counters.
/// </summary>
[Collection(nameof(MemoryMeasuringCollection))]
public sealed class HttpIngestFuzzTests
{
    [Fact]
    public async Task Hostile_requests_get_a_documented_answer_account_for_every_line_and_keep_memory_bounded()
        => Assert.NotEqual(0, await FuzzTargets.HttpIngest.Run(FuzzBudget.FixedOrReplay(FuzzTargets.CiSeed, 300)));
}

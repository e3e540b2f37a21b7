using Pipeline.Fuzzing;

namespace Pipeline.Tests.Fuzz;

/// <summary>
/// Hostile requests through the real http ingest handler: a documented status and never a 5xx, no hang, every line
/// accounted for, and bounded memory. Alone in its collection, because its memory checks read process-wide counters.
/// </summary>
[Collection(typeof(MemoryMeasuringCollection))]
public sealed class HttpIngestFuzzTests
{
    [Fact]
    public async Task Hostile_requests_get_a_documented_answer_account_for_every_line_and_keep_memory_bounded()
        => Assert.NotEqual(0, await FuzzTargets.HttpIngest.Run(FuzzBudget.FixedOrReplay(FuzzTargets.CiSeed, 300)));

    [Fact]
    public async Task Once_shutting_down_every_hostile_request_is_answered_503_and_nothing_is_accepted()
    {
        var property = await HttpIngestProperty.StartAsync();
        await using (property)
        {
            property.BeginShutdown();
            Assert.NotEqual(0, await FuzzRun.RunAsync(HostileGen.IngestRequest(HttpIngestProperty.MaxBody), property.CheckAsync, FuzzBudget.FixedOrReplay(FuzzTargets.CiSeed, 100)));
        }
    }

    [Fact]
    public async Task Every_corpus_body_gets_a_documented_answer_as_ndjson_and_json_plain_and_gzipped()
    {
        var property = await HttpIngestProperty.StartAsync();
        await using (property)
        {
            foreach (var input in HostileInputs.All)
            {
                foreach (var contentType in new[] { "application/x-ndjson", "application/json" })
                {
                    await property.CheckAsync(new IngestRequest(input.Bytes, input.Bytes, contentType, true, null, ContentCoding.Identity, [], null));
                    await property.CheckAsync(new IngestRequest(HostileGen.Gzip(input.Bytes), input.Bytes, contentType, true, "gzip", ContentCoding.Gzip, [], null));
                }
            }
        }
    }
}

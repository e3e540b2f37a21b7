using System.Text.Json;
using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests;

/// <summary>
/// b) Logs: the sick pipeline's parse stage fails events that are not JSON. The log lines about them must reach
/// the OTLP receiver with the event's trace id in the log record's own trace fields (so a backend joins them to the
/// trace), whether the event was sampled or not, and stdout's JSON lines carry the same ids.
/// </summary>
[Collection(ObservedStackCollection.Name)]
public sealed class LogScenarioTests(ObservedStack stack)
{
    [Fact]
    public async Task Failure_lines_of_sampled_and_unsampled_events_carry_their_trace_in_stdout_and_in_otlp_records()
    {
        Assert.SkipWhen(ObservedStack.Missing is not null, ObservedStack.Missing ?? "");
        var marker = Guid.NewGuid().ToString("N");
        var (sampledParent, sampledTraceId) = ObservedStack.NewSampledTraceParent();
        var sampledLine = JsonSerializer.Serialize(new { traceparent = sampledParent, raw = $"not json (sampled-event {marker})" });
        var unsampledLine = JsonSerializer.Serialize(new { raw = $"not json (unsampled-event {marker})" });
        Assert.Equal(200, await stack.PostAsync(stack.SickIngest, [sampledLine, unsampledLine], TestContext.Current.CancellationToken));

        // The dead-letter records say which trace each event had; the unsampled one got its id from the pipeline.
        var records = await Poll.UntilAsync(() => Task.FromResult(stack.Sick.DeadLetters().Where(r => r.GetRawText().Contains(marker, StringComparison.Ordinal)).ToList()),
            found => found.Count == 2, TimeSpan.FromSeconds(30), "the two dead-letter records");
        string TraceIdOf(string kind) => records.Single(r => r.GetRawText().Contains($"({kind}-event {marker})", StringComparison.Ordinal)).GetProperty("trace_id").GetString()!;
        Assert.Equal(sampledTraceId, TraceIdOf("sampled"));
        var unsampledTraceId = TraceIdOf("unsampled");
        Assert.Matches("^[0-9a-f]{32}$", unsampledTraceId);

        foreach (var traceId in new[] { sampledTraceId, unsampledTraceId })
        {
            var stdoutLines = await Poll.UntilAsync(() => Task.FromResult(stack.Sick.LogLines().Where(l => TraceIdIn(l) == traceId).ToList()),
                lines => lines.Count > 0, TimeSpan.FromSeconds(30), $"a stdout JSON line with trace_id {traceId}");
            var otlpRecords = await Poll.UntilAsync(async () => (await stack.Receiver.LogRecordsAsync()).Where(r => r.TraceId == traceId).ToList(),
                found => found.Count >= stdoutLines.Count, TimeSpan.FromSeconds(30), $"the OTLP log records of trace {traceId} in their own trace fields");
            Assert.All(otlpRecords, r =>
            {
                Assert.DoesNotContain("trace_id", r.Attributes.Keys);
                Assert.DoesNotContain("span_id", r.Attributes.Keys);
            });
            Assert.Contains(otlpRecords, r => r.SeverityText is "Error" && r.Body.Contains("parse", StringComparison.Ordinal));
        }
    }

    private static string? TraceIdIn(JsonElement line) =>
        line.TryGetProperty("trace_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
}

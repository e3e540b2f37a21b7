using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests;

/// <summary>One service identity: the spans, the OTLP log records and the target_info metric of one process agree.</summary>
[Collection(ObservedStackCollection.Name)]
public sealed class IdentityScenarioTests(ObservedStack stack)
{
    private static readonly string[] Keys = ["service.name", "service.version", "service.instance.id"];

    [Fact]
    public async Task Spans_logs_and_target_info_of_one_process_carry_the_same_service_name_version_and_instance()
    {
        Assert.SkipWhen(ObservedStack.Missing is not null, ObservedStack.Missing ?? "");
        var traced = stack.TracedEvents.ToHashSet(StringComparer.Ordinal);
        var spans = await Poll.UntilAsync(stack.Receiver.SpansAsync, all => all.Any(s => traced.Contains(s.TraceId)), TimeSpan.FromSeconds(60), "spans of the normal pipeline");
        var spanResource = spans.First(s => traced.Contains(s.TraceId)).Resource;
        var instance = spanResource.GetValueOrDefault("service.instance.id");
        Assert.False(string.IsNullOrEmpty(instance), "spans carry no service.instance.id");
        Assert.Matches(@"^\d+\.\d+\.\d+\+[0-9a-f]{7,40}$", spanResource.GetValueOrDefault("service.version") ?? "");

        // The normal pipeline ships its logs over OTLP/HTTP; its startup lines are there.
        var logs = await Poll.UntilAsync(stack.Receiver.LogRecordsAsync,
            all => all.Any(r => r.Resource.GetValueOrDefault("service.instance.id") == instance), TimeSpan.FromSeconds(60),
            $"a log record of service.instance.id {instance}");
        var logResource = logs.First(r => r.Resource.GetValueOrDefault("service.instance.id") == instance).Resource;
        foreach (var key in Keys)
        {
            Assert.Equal(spanResource.GetValueOrDefault(key), logResource.GetValueOrDefault(key));
        }

        var info = await Poll.UntilAsync(() => stack.Prometheus.QueryAsync($"target_info{{instance=\"{stack.Normal.AdminTarget}\"}}"),
            found => found.Count == 1, TimeSpan.FromSeconds(30), "target_info of the normal pipeline");
        Assert.Equal(spanResource["service.name"], info[0].Label("service_name"));
        Assert.Equal(spanResource["service.version"], info[0].Label("service_version"));
        Assert.Equal(instance, info[0].Label("service_instance_id"));
    }
}

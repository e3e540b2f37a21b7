using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using Pipeline.Events;
using Pipeline.Fuzzing;
using Pipeline.Sources.Http;
using Pipeline.Tests.Io;

namespace Pipeline.Tests.Observability;

/// <summary>HTTP ingest: the request's traceparent applies to every event, an event's own traceparent field overrides it.</summary>
public sealed class HttpTraceContextTests
{
    private const string RequestTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string EventTrace = "0af7651916cd43dd8448eb211c80319c";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_valid_traceparent_field_overrides_the_header_for_its_event_and_is_removed_from_it()
    {
        var context = new FakeSourceContext();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        await using var app = builder.Build();
        new HttpIngestHandler(context, 1024 * 1024, TimeSpan.FromSeconds(1), FieldPath.Parse(".traceparent")).MapTo(app, "/v1/events");
        await app.StartAsync(Ct);
        using var client = app.GetTestClient();
        var body = $$"""
            {"n":1,"traceparent":"00-{{EventTrace}}-b7ad6b7169203331-01"}
            {"n":2}
            {"n":3,"traceparent":"not a traceparent"}
            """;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = new StringContent(body, Encoding.UTF8, "application/x-ndjson") };
        request.Headers.Add("traceparent", $"00-{RequestTrace}-00f067aa0ba902b7-00");

        var response = await client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, context.Sent.Count);
        Assert.Equal(EventTrace, context.Sent[0].TraceContext.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", context.Sent[0].TraceContext.SpanId.ToHexString());
        Assert.Equal("""{"n":1}""", context.Sent[0].Event.ToString());
        Assert.Equal(RequestTrace, context.Sent[1].TraceContext.TraceId.ToHexString());
        // An invalid value is ignored as W3C asks, and left in the event as the data it is.
        Assert.Equal(RequestTrace, context.Sent[2].TraceContext.TraceId.ToHexString());
        Assert.Contains("not a traceparent", context.Sent[2].Event.ToString(), StringComparison.Ordinal);
    }

    // Found by fuzzing: the BCL's ActivityContext.TryParse, which the handler used, took any character for the dashes.
    [Fact]
    public async Task A_traceparent_whose_separators_are_not_dashes_is_ignored_in_the_header_and_in_the_field()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context);
        var wrongSeparators = HostileInputs.Named("traceparent field with bad separators");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events")
        {
            Content = new StringContent(Encoding.UTF8.GetString(wrongSeparators.Bytes), Encoding.UTF8, "application/x-ndjson"),
        };
        request.Headers.Add("traceparent", $"00x{RequestTrace}x00f067aa0ba902b7x01");

        var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(default, Assert.Single(context.Sent).TraceContext);
    }
}

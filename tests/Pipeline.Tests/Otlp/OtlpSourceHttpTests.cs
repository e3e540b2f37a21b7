using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Google.Rpc;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Resource.V1;
using Pipeline.Tests.Io;

namespace Pipeline.Tests.Otlp;

/// <summary>OTLP/HTTP by hand: OTLP/JSON, gzip, and what the source answers to what it cannot take.</summary>
public sealed class OtlpSourceHttpTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Otlp_json_with_hex_ids_int64_strings_and_enum_numbers_becomes_events_in_the_records_trace()
    {
        var context = new FakeSourceContext();
        await using var source = await RunningOtlpSource.StartAsync(context);
        using var http = new HttpClient();
        const string Json = """
            {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"billing"}},{"key":"host.name","value":{"stringValue":"node-1"}}]},
              "scopeLogs":[{"scope":{"name":"billing.invoices","version":"1.2.0"},
                "logRecords":[
                  {"timeUnixNano":"1700000000123456789","observedTimeUnixNano":"1700000000200000000","severityNumber":17,"severityText":"ERROR",
                   "body":{"kvlistValue":{"values":[{"key":"invoice","value":{"intValue":"9007199254740993"}},{"key":"paid","value":{"boolValue":false}}]}},
                   "attributes":[{"key":"amount","value":{"doubleValue":12.5}},{"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":2}]}}},
                                 {"key":"raw","value":{"bytesValue":"AAEC"}},{"key":"traceId","value":{"stringValue":"not the record's"}}],
                   "droppedAttributesCount":2,"flags":1,
                   "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","futureField":"ignored"},
                  {"body":{"stringValue":"second"}}]}]}]}
            """;

        using var response = await http.PostAsync(source.Logs, new StringContent(Json, Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.EnumerateObject());
        Assert.Equal(2, context.Sent.Count);
        Assert.Equal(
            """{"message":"{\"invoice\":9007199254740993,\"paid\":false}","severity_text":"ERROR","severity_number":17,"timestamp":"2023-11-14T22:13:20.123456789Z","observed_timestamp":"2023-11-14T22:13:20.200000000Z","attributes":{"amount":12.5,"tags":["a",2],"raw":"AAEC","traceId":"not the record's"},"resources":{"service.name":"billing","host.name":"node-1"},"scope":{"name":"billing.invoices","version":"1.2.0"},"flags":1,"dropped_attributes_count":2}""",
            context.Sent[0].Event.ToString());
        Assert.Equal("5b8efff798038103d269b633813fc60c", context.Sent[0].TraceContext.TraceId.ToHexString());
        Assert.Equal("eee19b7ec3c1b174", context.Sent[0].TraceContext.SpanId.ToHexString());
        Assert.Equal(ActivityTraceFlags.Recorded, context.Sent[0].TraceContext.TraceFlags);
        Assert.Equal("""{"message":"second","resources":{"service.name":"billing","host.name":"node-1"},"scope":{"name":"billing.invoices","version":"1.2.0"}}""",
            context.Sent[1].Event.ToString());
        Assert.Equal(default, context.Sent[1].TraceContext);
    }

    [Fact]
    public async Task A_gzip_protobuf_body_is_accepted_and_answered_in_protobuf()
    {
        var context = new FakeSourceContext();
        await using var source = await RunningOtlpSource.StartAsync(context);
        using var http = new HttpClient();
        using var content = new ByteArrayContent(Gzip(Request("zipped").ToByteArray()));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        content.Headers.ContentEncoding.Add("gzip");

        using var response = await http.PostAsync(source.Logs, content, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        var answer = ExportLogsServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Ct));
        Assert.Null(answer.PartialSuccess);
        Assert.Equal("zipped", JsonDocument.Parse(Assert.Single(context.Sent).Event.ToString()).RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Malformed_protobuf_is_answered_400_with_a_status_and_dead_lettered_with_the_reason()
    {
        var context = new FakeSourceContext();
        await using var source = await RunningOtlpSource.StartAsync(context);
        using var http = new HttpClient();
        // Field 1 (resource_logs) says 5 bytes follow; one does.
        byte[] truncated = [0x0A, 0x05, 0x01];
        using var content = new ByteArrayContent(truncated);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");

        using var response = await http.PostAsync(source.Logs, content, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var status = Status.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal((int)Code.InvalidArgument, status.Code);
        Assert.Contains("not a valid ExportLogsServiceRequest", status.Message, StringComparison.Ordinal);
        var invalid = Assert.Single(context.Invalid);
        Assert.StartsWith(status.Message, invalid.Reason, StringComparison.Ordinal);
        Assert.EndsWith("(raw: the protobuf bytes, base64)", invalid.Reason, StringComparison.Ordinal);
        Assert.Equal(truncated, Convert.FromBase64String(Encoding.UTF8.GetString(invalid.Raw)));
        Assert.Empty(context.Sent);
    }

    [Theory]
    [InlineData("""{"resourceLogs":[{"scopeLogs":[""", "invalid JSON")]
    [InlineData("""{"resourceLogs":5}""", "array")]
    [InlineData("""{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"traceId":"xyz"}]}]}]}""", "not hex")]
    public async Task Malformed_otlp_json_is_answered_400_with_a_json_status_and_dead_lettered(string body, string named)
    {
        var context = new FakeSourceContext();
        await using var source = await RunningOtlpSource.StartAsync(context);
        using var http = new HttpClient();

        using var response = await http.PostAsync(source.Logs, new StringContent(body, Encoding.UTF8, "application/json"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        Assert.Equal((int)Code.InvalidArgument, status.GetProperty("code").GetInt32());
        Assert.Contains(named, status.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
        var invalid = Assert.Single(context.Invalid);
        Assert.Contains("OTLP/JSON", invalid.Reason, StringComparison.Ordinal);
        Assert.Equal(body, Encoding.UTF8.GetString(invalid.Raw));
    }

    [Fact]
    public async Task Another_content_type_is_answered_415_and_another_path_404()
    {
        var context = new FakeSourceContext();
        await using var source = await RunningOtlpSource.StartAsync(context);
        using var http = new HttpClient();

        using var text = await http.PostAsync(source.Logs, new StringContent("hello", Encoding.UTF8, "text/plain"), Ct);
        using var traces = await http.PostAsync(new Uri(source.Http, "/v1/traces"), new ByteArrayContent([]), Ct);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        Assert.Contains("application/x-protobuf", Status.Parser.ParseFrom(await text.Content.ReadAsByteArrayAsync(Ct)).Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, traces.StatusCode);
        Assert.Empty(context.Sent);
    }

    [Fact]
    public async Task A_full_pipeline_is_answered_429_with_retry_after_and_nothing_is_accepted()
    {
        var context = new FakeSourceContext { WithinResult = Pipeline.Components.SendResult.Backpressure };
        await using var source = await RunningOtlpSource.StartAsync(context, c => c.BackpressureTimeout = TimeSpan.FromMilliseconds(1500));
        using var http = new HttpClient();
        using var content = new ByteArrayContent(Request("a", "b").ToByteArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");

        using var response = await http.PostAsync(source.Logs, content, Ct);

        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        var status = Status.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync(Ct));
        Assert.Equal((int)Code.ResourceExhausted, status.Code);
        Assert.Equal(TimeSpan.FromSeconds(2), Assert.Single(status.Details).Unpack<RetryInfo>().RetryDelay.ToTimeSpan());
        Assert.Equal(TimeSpan.FromMilliseconds(1500), Assert.Single(context.Deadlines));
        Assert.Empty(context.Sent);
    }

    internal static ExportLogsServiceRequest Request(params string[] bodies)
    {
        var scope = new ScopeLogs();
        foreach (var body in bodies)
        {
            scope.LogRecords.Add(new LogRecord { Body = new AnyValue { StringValue = body } });
        }
        var resource = new ResourceLogs { Resource = new Resource() };
        resource.ScopeLogs.Add(scope);
        var request = new ExportLogsServiceRequest();
        request.ResourceLogs.Add(resource);
        return request;
    }

    private static byte[] Gzip(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(raw);
        }
        return output.ToArray();
    }
}

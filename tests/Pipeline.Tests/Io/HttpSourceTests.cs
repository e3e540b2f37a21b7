using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Fuzzing;
using Pipeline.Sources.Http;

namespace Pipeline.Tests.Io;

public sealed class HttpSourceTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ndjson_lines_each_become_an_event()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context);

        var response = await host.Client.PostAsync("/v1/events", Ndjson("{\"n\":1}\n{\"n\":2}\r\n\n{\"n\":3}\n"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal(3, body.GetProperty("accepted").GetInt32());
        Assert.Equal(0, body.GetProperty("errors").GetArrayLength());
        Assert.Equal([1L, 2L, 3L], NumbersOf(context.Sent, "n"));
    }

    [Fact]
    public async Task Jsonl_content_type_is_accepted_as_ndjson()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context);

        var response = await host.Client.PostAsync("/v1/events", Body("{\"n\":1}\n{\"n\":2}", "application/jsonl"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([1L, 2L], NumbersOf(context.Sent, "n"));
    }

    [Fact]
    public async Task Json_array_elements_each_become_an_event()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context);

        var response = await host.Client.PostAsync("/v1/events", Json("""[{"n":1},{"n":2,"nested":{"a":[1,2]}}, {"n":3}]"""), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, (await ReadJsonAsync(response)).GetProperty("accepted").GetInt32());
        Assert.Equal([1L, 2L, 3L], NumbersOf(context.Sent, "n"));
        Assert.Equal("""{"n":2,"nested":{"a":[1,2]}}""", context.Sent[1].Event.ToString());
    }

    [Fact]
    public async Task Json_array_element_that_is_not_an_object_is_reported_by_index()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context);

        var response = await host.Client.PostAsync("/v1/events", Json("""[{"n":1}, 42, {"n":3}]"""), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal(2, body.GetProperty("accepted").GetInt32());
        Assert.Equal(1, body.GetProperty("errors")[0].GetProperty("index").GetInt32());
        Assert.Equal("42", Encoding.UTF8.GetString(Assert.Single(context.Invalid).Raw));
    }

    // Found by fuzzing: the parser stopped at the array's ']' and never looked further, so a second array's events (or
    // any trailing text) were dropped without an error, and the client was told everything it sent was accepted.
    [Theory]
    [InlineData("two arrays", "[{\"a\":2}]")]
    [InlineData("trailing garbage after the array", " x")]
    public async Task Anything_after_the_json_array_is_an_error_not_silently_dropped(string corpusEntry, string trailing)
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context);
        var content = new ByteArrayContent(HostileInputs.Named(corpusEntry).Bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var response = await host.Client.PostAsync("/v1/events", content, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal(1, body.GetProperty("accepted").GetInt32());
        var error = Assert.Single(body.GetProperty("errors").EnumerateArray());
        Assert.Equal(1, error.GetProperty("index").GetInt32());
        Assert.Equal(trailing, Encoding.UTF8.GetString(Assert.Single(context.Invalid).Raw));
    }

    [Fact]
    public async Task Single_json_object_becomes_one_event()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context);

        var response = await host.Client.PostAsync("/v1/events", Json("""{"message":"hello","n":7}"""), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, (await ReadJsonAsync(response)).GetProperty("accepted").GetInt32());
        Assert.Equal("""{"message":"hello","n":7}""", Assert.Single(context.Sent).Event.ToString());
    }

    [Fact]
    public async Task Gzip_body_is_decompressed()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context);
        var content = new ByteArrayContent(Gzip(Encoding.UTF8.GetBytes("{\"n\":1}\n{\"n\":2}\n")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        content.Headers.ContentEncoding.Add("gzip");

        var response = await host.Client.PostAsync("/v1/events", content, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([1L, 2L], NumbersOf(context.Sent, "n"));
    }

    [Fact]
    public async Task Malformed_line_gets_its_line_number_in_the_response_is_reported_and_valid_lines_are_accepted()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context);

        var response = await host.Client.PostAsync("/v1/events", Ndjson("{\"n\":1}\n{\"n\":2}\n{\"n\": oops\n[1,2]\n{\"n\":5}"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal(3, body.GetProperty("accepted").GetInt32());
        var errors = body.GetProperty("errors");
        Assert.Equal(2, errors.GetArrayLength());
        Assert.Equal(3, errors[0].GetProperty("line").GetInt32());
        Assert.Contains("invalid JSON", errors[0].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(4, errors[1].GetProperty("line").GetInt32());
        Assert.Contains("expected a JSON object", errors[1].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal([1L, 2L, 5L], NumbersOf(context.Sent, "n"));
        Assert.Equal(["{\"n\": oops", "[1,2]"], context.Invalid.Select(i => Encoding.UTF8.GetString(i.Raw)));
    }

    [Fact]
    public async Task Error_bodies_keep_apostrophes_and_non_ascii_text_as_written_and_stay_valid_json()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context);

        var response = await host.Client.PostAsync("/v1/events", Ndjson("é\n"), Ct);

        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain("\\u00", text, StringComparison.Ordinal);
        Assert.Contains("'", text, StringComparison.Ordinal);
        var reason = JsonDocument.Parse(text).RootElement.GetProperty("errors")[0].GetProperty("error").GetString()!;
        Assert.Contains(reason, text, StringComparison.Ordinal);
        Assert.EndsWith("is an invalid start of a value (at column 1)", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_json_element_that_is_not_an_object_is_named_in_words()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context);

        using var content = new StringContent("[{\"n\":1}, [2], 3]", Encoding.UTF8, "application/json");
        var response = await host.Client.PostAsync("/v1/events", content, Ct);

        var errors = (await ReadJsonAsync(response)).GetProperty("errors");
        Assert.Equal("expected a JSON object, found an array", errors[0].GetProperty("error").GetString());
        Assert.Equal("expected a JSON object, found a number", errors[1].GetProperty("error").GetString());
    }

    [Fact]
    public async Task Body_without_any_valid_line_is_answered_400_and_still_reported()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context);

        var response = await host.Client.PostAsync("/v1/events", Ndjson("not json\n"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal(0, body.GetProperty("accepted").GetInt32());
        Assert.Equal(1, body.GetProperty("errors")[0].GetProperty("line").GetInt32());
        Assert.Empty(context.Sent);
        Assert.Single(context.Invalid);
    }

    [Fact]
    public async Task Declared_content_length_over_max_body_is_answered_413()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context, maxBody: 100);

        var response = await host.Client.PostAsync("/v1/events", Ndjson(ManyLines(20)), Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("max_body", (await ReadJsonAsync(response)).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(context.Sent);
    }

    [Fact]
    public async Task Chunked_body_over_max_body_is_answered_413_and_nothing_is_accepted()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context, maxBody: 100);
        var content = new StreamContent(new UnseekableStream(Encoding.UTF8.GetBytes(ManyLines(20))));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");

        var response = await host.Client.PostAsync("/v1/events", content, Ct);

        Assert.Null(content.Headers.ContentLength);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(context.Sent);
    }

    [Fact]
    public async Task Gzip_bomb_over_max_body_after_decompression_is_answered_413()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context, maxBody: 64 * 1024);
        var compressed = Gzip(Encoding.UTF8.GetBytes(ManyLines(20_000)));
        Assert.True(compressed.Length < 64 * 1024, "the compressed body itself must fit, so only decompression can trip the limit");
        var content = new ByteArrayContent(compressed);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        content.Headers.ContentEncoding.Add("gzip");

        var response = await host.Client.PostAsync("/v1/events", content, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(context.Sent);
    }

    [Fact]
    public async Task Unknown_content_type_is_answered_415_naming_the_accepted_types()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context);

        var response = await host.Client.PostAsync("/v1/events", Body("{\"n\":1}", "text/plain"), Ct);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var error = (await ReadJsonAsync(response)).GetProperty("error").GetString()!;
        Assert.Contains("text/plain", error, StringComparison.Ordinal);
        Assert.Contains("application/x-ndjson", error, StringComparison.Ordinal);
        Assert.Contains("application/json", error, StringComparison.Ordinal);
        Assert.Empty(context.Sent);
    }

    [Fact]
    public async Task Unknown_content_encoding_is_answered_415()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context);
        var content = Ndjson("{\"n\":1}");
        content.Headers.ContentEncoding.Add("br");

        var response = await host.Client.PostAsync("/v1/events", content, Ct);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Empty(context.Sent);
    }

    [Fact]
    public async Task Non_post_is_answered_405_with_an_allow_header()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context);

        var response = await host.Client.GetAsync("/v1/events", Ct);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("POST", string.Join(",", response.Content.Headers.Allow));
    }

    [Fact]
    public async Task Backpressure_past_the_deadline_is_answered_429_with_retry_after_and_nothing_is_accepted()
    {
        var context = new FakeSourceContext { WithinResult = SendResult.Backpressure };
        await using var host = await IngestTestHost.StartAsync(context, backpressureTimeout: TimeSpan.FromMilliseconds(1500));

        var response = await host.Client.PostAsync("/v1/events", Ndjson("{\"n\":1}\nbroken\n{\"n\":3}"), Ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), response.Headers.RetryAfter?.Delta);
        Assert.Equal([TimeSpan.FromMilliseconds(1500)], context.Deadlines);
        Assert.Empty(context.Sent);
        // The client resends the whole request, so its bad line must not be dead-lettered twice.
        Assert.Empty(context.Invalid);
    }

    [Fact]
    public async Task Traceparent_header_becomes_the_trace_context_of_every_event()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = Ndjson("{\"n\":1}\n{\"n\":2}") };
        request.Headers.Add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        request.Headers.Add("tracestate", "vendor=value");

        var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, context.Sent.Count);
        Assert.All(context.Sent, sent =>
        {
            Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", sent.TraceContext.TraceId.ToHexString());
            Assert.Equal("00f067aa0ba902b7", sent.TraceContext.SpanId.ToHexString());
            Assert.Equal(ActivityTraceFlags.Recorded, sent.TraceContext.TraceFlags);
            Assert.Equal("vendor=value", sent.TraceContext.TraceState);
            Assert.True(sent.TraceContext.IsRemote);
        });
    }

    [Fact]
    public async Task Request_without_traceparent_sends_an_empty_trace_context()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context);

        await host.Client.PostAsync("/v1/events", Ndjson("{\"n\":1}"), Ct);

        Assert.Equal(default, Assert.Single(context.Sent).TraceContext);
    }

    [Fact]
    public async Task Handler_answers_503_once_shutting_down()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context);
        host.Handler.BeginShutdown();

        var response = await host.Client.PostAsync("/v1/events", Ndjson("{\"n\":1}"), Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Empty(context.Sent);
    }

    [Fact]
    public async Task Shutdown_part_way_through_a_request_says_how_many_were_accepted_and_where_to_resume()
    {
        var context = new FakeSourceContext { ShutDownAfter = 2 };
        await using var host = await IngestTestHost.StartAsync(context);

        var response = await host.Client.PostAsync("/v1/events", Ndjson("{\"n\":1}\n\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}"), Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal(2, body.GetProperty("accepted").GetInt32());
        Assert.Equal(4, body.GetProperty("first_rejected").GetInt32());
        Assert.Equal([1L, 2L], NumbersOf(context.Sent, "n"));
    }

    [Fact]
    public async Task Http_source_serves_on_an_ephemeral_loopback_port_until_stopped()
    {
        var context = new FakeSourceContext();
        var source = (HttpSource)Factory(new HttpSourceConfig { Address = "127.0.0.1:0" }).Create();
        using var stopping = new CancellationTokenSource();
        var run = source.RunAsync(context, stopping.Token);
        var address = Assert.Single(await source.Listening.WaitAsync(HangGuard, Ct));
        Assert.Equal("127.0.0.1", address.Host);
        Assert.NotEqual(0, address.Port);
        using var client = new HttpClient { BaseAddress = address };

        var response = await client.PostAsync("/v1/events", Ndjson("{\"n\":1}"), Ct);
        stopping.Cancel();
        await run.WaitAsync(HangGuard, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(context.Sent);
    }

    [Fact]
    public async Task Http_source_on_kestrel_answers_413_to_a_chunked_body_over_max_body()
    {
        var context = new FakeSourceContext();
        var source = (HttpSource)Factory(new HttpSourceConfig { Address = "127.0.0.1:0", MaxBody = new ByteSize(100) }).Create();
        using var stopping = new CancellationTokenSource();
        var run = source.RunAsync(context, stopping.Token);
        var address = Assert.Single(await source.Listening.WaitAsync(HangGuard, Ct));
        using var client = new HttpClient { BaseAddress = address };
        var content = new StreamContent(new UnseekableStream(Encoding.UTF8.GetBytes(ManyLines(50))));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");

        var response = await client.PostAsync("/v1/events", content, Ct);
        stopping.Cancel();
        await run.WaitAsync(HangGuard, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(context.Sent);
    }

    [Theory]
    [InlineData("8080")]
    [InlineData("0.0.0.0")]
    [InlineData("example.com:8080")]
    [InlineData("0.0.0.0:70000")]
    public void Factory_rejects_an_address_that_is_not_ip_and_port(string address)
    {
        var ex = Assert.Throws<ComponentBuildException>(() => Factory(new HttpSourceConfig { Address = address }));

        Assert.Equal("address", ex.Option);
        Assert.Contains(address, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Factory_rejects_a_path_without_leading_slash()
    {
        var ex = Assert.Throws<ComponentBuildException>(() => Factory(new HttpSourceConfig { Path = "v1/events" }));

        Assert.Equal("path", ex.Option);
    }

    private static ISourceFactory Factory(HttpSourceConfig config) => config.Build(new ComponentContext("ingest", "test", Path.GetTempPath()));

    private static string ManyLines(int count)
        => string.Concat(Enumerable.Range(0, count).Select(i => $"{{\"n\":{i},\"padding\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}}\n"));

    private static StringContent Ndjson(string body) => Body(body, "application/x-ndjson");

    private static StringContent Json(string body) => Body(body, "application/json");

    private static StringContent Body(string body, string mediaType) => new(body, Encoding.UTF8, new MediaTypeHeaderValue(mediaType));

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
        {
            gzip.Write(data);
        }
        return output.ToArray();
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return doc.RootElement.Clone();
    }

    private static long[] NumbersOf(IReadOnlyList<SentEvent> sent, string field)
        => [.. sent.Select(s => s.Event.Get(FieldPath.Parse("." + field)).TryGetInt64(out var n) ? n : -1)];
}

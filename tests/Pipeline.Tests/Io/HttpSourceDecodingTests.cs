using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Pipeline.Decoding;

namespace Pipeline.Tests.Io;

public sealed class HttpSourceDecodingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(DecodingCodec.Text, "first line\nsecond line\n", "message", "second line")]
    [InlineData(DecodingCodec.Logfmt, "level=info msg=\"a b\"\nlevel=warn msg=c\n", "level", "warn")]
    [InlineData(DecodingCodec.Syslog, "<13>1 2024-01-01T00:00:00Z host app 1 - - one\n<13>1 2024-01-01T00:00:01Z host app 1 - - two\n", "message", "two")]
    public async Task Each_codec_turns_each_line_of_a_text_plain_body_into_an_event(DecodingCodec codec, string text, string field, string secondValue)
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context, codec: codec);

        var response = await host.Client.PostAsync("/v1/events", Text(text), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal(2, body.GetProperty("accepted").GetInt32());
        Assert.Equal(0, body.GetProperty("errors").GetArrayLength());
        Assert.Equal(2, context.Sent.Count);
        Assert.Equal(secondValue, JsonDocument.Parse(context.Sent[1].Event.ToString()).RootElement.GetProperty(field).GetString());
    }

    [Theory]
    [InlineData(DecodingCodec.Logfmt, "a=1\n=broken\nb=2\n")]
    [InlineData(DecodingCodec.Syslog, "<13>1 2024-01-01T00:00:00Z host app 1 - - one\nnot syslog at all\n<13>1 2024-01-01T00:00:01Z host app 1 - - two\n")]
    public async Task A_line_the_codec_cannot_decode_is_named_in_the_answer_and_dead_lettered_and_the_rest_go_on(DecodingCodec codec, string text)
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context, codec: codec);

        var response = await host.Client.PostAsync("/v1/events", Text(text), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal(2, body.GetProperty("accepted").GetInt32());
        var error = Assert.Single(body.GetProperty("errors").EnumerateArray());
        Assert.Equal(2, error.GetProperty("line").GetInt32());
        var codecName = codec.ToString().ToLowerInvariant();
        Assert.EndsWith($"(decoding.codec: {codecName})", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        var invalid = Assert.Single(context.Invalid);
        Assert.Equal(text.Split('\n')[1], Encoding.UTF8.GetString(invalid.Raw));
        Assert.Contains(codecName, invalid.Reason, StringComparison.Ordinal);
        Assert.Equal(2, context.Sent.Count);
    }

    [Fact]
    public async Task A_body_with_no_line_that_decodes_is_answered_400_naming_each_line()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context, codec: DecodingCodec.Syslog);

        var response = await host.Client.PostAsync("/v1/events", Text("nope\nstill nope\n"), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var lines = (await ReadJsonAsync(response)).GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("line").GetInt32());
        Assert.Equal([1, 2], lines);
        Assert.Empty(context.Sent);
    }

    [Fact]
    public async Task Character_delimited_framing_cuts_the_body_at_the_delimiter_and_numbers_records()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context, codec: DecodingCodec.Logfmt, delimiter: (byte)'|');

        var response = await host.Client.PostAsync("/v1/events", Text("a=1|b=2|=bad"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal(2, body.GetProperty("accepted").GetInt32());
        Assert.Equal(3, Assert.Single(body.GetProperty("errors").EnumerateArray()).GetProperty("record").GetInt32());
        Assert.Equal(["""{"a":"1"}""", """{"b":"2"}"""], context.Sent.Select(s => s.Event.ToString()));
    }

    [Fact]
    public async Task Bytes_framing_makes_the_whole_body_one_event()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context, codec: DecodingCodec.Text, delimiter: null);

        var response = await host.Client.PostAsync("/v1/events", Text("line one\nline two"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("line one\nline two", JsonDocument.Parse(Assert.Single(context.Sent).Event.ToString()).RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_gzip_text_body_is_decompressed_then_framed()
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context, codec: DecodingCodec.Text);
        var content = new ByteArrayContent(Gzip(Encoding.UTF8.GetBytes("one\ntwo\nthree\n")));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        content.Headers.ContentEncoding.Add("gzip");

        var response = await host.Client.PostAsync("/v1/events", content, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, (await ReadJsonAsync(response)).GetProperty("accepted").GetInt32());
    }

    [Theory]
    [InlineData(DecodingCodec.Text, "application/json", "text/plain (decoding.codec: text)")]
    [InlineData(DecodingCodec.Text, "application/x-ndjson", "text/plain (decoding.codec: text)")]
    [InlineData(DecodingCodec.Json, "text/plain", "application/x-ndjson")]
    public async Task A_content_type_that_does_not_match_the_codec_is_answered_415_naming_what_is_expected(DecodingCodec codec, string mediaType, string expected)
    {
        var context = new FakeSourceContext();
        await using var host = await IngestTestHost.StartAsync(context, codec: codec);

        var response = await host.Client.PostAsync("/v1/events", new StringContent("{\"a\":1}\n", Encoding.UTF8, new MediaTypeHeaderValue(mediaType)), Ct);

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains(expected, (await ReadJsonAsync(response)).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(context.Sent);
    }

    private static StringContent Text(string body) => new(body, Encoding.UTF8, new MediaTypeHeaderValue("text/plain"));

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }
        return output.ToArray();
    }

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return doc.RootElement.Clone();
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Isolates;
using Pipeline.Sinks;

namespace Pipeline.Tests.Io;

public sealed class SinkTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pipeline-io-tests", Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Stdout_sink_writes_one_valid_json_line_per_event_by_flush()
    {
        using var output = new MemoryStream();
        await using var sink = new StdoutSink(output, new SemaphoreSlim(1, 1));

        await sink.WriteAsync(Events(0, 3), Ct);
        await sink.WriteAsync(Events(3, 2), Ct);
        await sink.FlushAsync(Ct);

        Assert.Equal(Enumerable.Range(0, 5), ParseLines(output.ToArray()).Select(e => e.GetProperty("n").GetInt32()));
        Assert.EndsWith("\n", Encoding.UTF8.GetString(output.ToArray()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stdout_sink_keeps_nested_values_and_escapes_strings()
    {
        using var output = new MemoryStream();
        await using var sink = new StdoutSink(output, new SemaphoreSlim(1, 1));
        var evt = Event.Parse("""{"msg":"line\nbreak \"quoted\"","nested":{"a":[1,{"b":null}]}}""");

        await sink.WriteAsync([evt], Ct);
        await sink.FlushAsync(Ct);

        var line = Assert.Single(Encoding.UTF8.GetString(output.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var doc = JsonDocument.Parse(line);
        Assert.Equal("line\nbreak \"quoted\"", doc.RootElement.GetProperty("msg").GetString());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("nested").GetProperty("a")[1].GetProperty("b").ValueKind);
    }

    [Fact]
    public async Task File_sink_creates_missing_directories_and_appends_json_lines_across_instances()
    {
        var factory = FileFactory(new FileSinkConfig { Path = Path.Combine(_directory, "deep", "er", "events.ndjson") });
        await using (var first = factory.CreateForIsolate(0))
        {
            await first.WriteAsync(Events(0, 2), Ct);
        }
        await using (var second = factory.CreateForIsolate(0))
        {
            await second.WriteAsync(Events(2, 2), Ct);
            await second.FlushAsync(Ct);
        }

        var lines = ParseLines(await File.ReadAllBytesAsync(PathForIsolate(factory, 0), Ct));
        Assert.Equal([0, 1, 2, 3], lines.Select(e => e.GetProperty("n").GetInt32()));
    }

    [Fact]
    public async Task File_sink_has_a_batch_in_the_file_when_its_write_returns_since_that_is_when_it_is_acknowledged()
    {
        var factory = FileFactory(new FileSinkConfig { Path = Path.Combine(_directory, "acked.ndjson") });
        await using var sink = factory.CreateForIsolate(0);

        await sink.WriteAsync(Events(0, 3), Ct);

        // No flush, no dispose: a kill -9 now must find the acknowledged lines in the file.
        var lines = ParseLines(await File.ReadAllBytesAsync(PathForIsolate(factory, 0), Ct));
        Assert.Equal([0, 1, 2], lines.Select(e => e.GetProperty("n").GetInt32()));
    }

    [Fact]
    public async Task File_sink_rotates_by_size_and_keeps_max_files()
    {
        var path = Path.Combine(_directory, "events.ndjson");
        var factory = FileFactory(new FileSinkConfig { Path = path, MaxSize = new ByteSize(100), MaxFiles = 3 });
        var lineLength = Encoding.UTF8.GetByteCount(Events(10, 1)[0].ToString()) + 1;
        Assert.Equal(24, lineLength);

        await using (var sink = factory.CreateForIsolate(0))
        {
            // 4 lines (96 bytes) fit in 100, so 22 events make five full files and an active one with 2 lines.
            for (var i = 0; i < 22; i += 5)
            {
                await sink.WriteAsync(Events(10 + i, Math.Min(5, 22 - i)), Ct);
            }
            await sink.FlushAsync(Ct);
        }

        Assert.Equal(["events.ndjson", "events.ndjson.1", "events.ndjson.2"], Directory.GetFiles(_directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var kept = new[] { path + ".2", path + ".1", path }.SelectMany(f => ParseLines(File.ReadAllBytes(f))).Select(e => e.GetProperty("n").GetInt32()).ToArray();
        // Oldest first, contiguous, ending with the last event written: rotation lost nothing it was meant to keep.
        Assert.Equal(Enumerable.Range(22, 10), kept);
        Assert.Equal(2, ParseLines(File.ReadAllBytes(path)).Length);
        Assert.All(Directory.GetFiles(_directory), f => Assert.InRange(new FileInfo(f).Length, 1, 100));
    }

    [Fact]
    public async Task File_sink_isolates_write_to_separate_files()
    {
        var factory = FileFactory(new FileSinkConfig { Path = Path.Combine(_directory, "events.ndjson") });
        await using (var zero = factory.CreateForIsolate(0))
        await using (var one = factory.CreateForIsolate(1))
        {
            await zero.WriteAsync(Events(0, 1), Ct);
            await one.WriteAsync(Events(1, 1), Ct);
        }

        Assert.Equal(Path.Combine(_directory, "events-1.ndjson"), PathForIsolate(factory, 1));
        Assert.Equal(0, Assert.Single(ParseLines(File.ReadAllBytes(PathForIsolate(factory, 0)))).GetProperty("n").GetInt32());
        Assert.Equal(1, Assert.Single(ParseLines(File.ReadAllBytes(PathForIsolate(factory, 1)))).GetProperty("n").GetInt32());
    }

    [Fact]
    public void File_sink_factory_rejects_a_directory_as_path()
    {
        Directory.CreateDirectory(_directory);

        var ex = Assert.Throws<ComponentBuildException>(() => FileFactory(new FileSinkConfig { Path = _directory }));

        Assert.Equal("path", ex.Option);
    }

    [Fact]
    public async Task Http_sink_posts_each_batch_as_ndjson_with_the_configured_headers()
    {
        await using var server = await CapturingHttpServer.StartAsync();
        var factory = HttpFactory(new HttpSinkConfig { Uri = server.Uri.ToString(), Headers = new() { ["Authorization"] = "Bearer secret" } });
        await using var sink = factory.CreateForIsolate(0);

        await sink.WriteAsync(Events(0, 3), Ct);
        await sink.WriteAsync(Events(3, 1), Ct);

        Assert.Collection(server.Requests,
            r =>
            {
                Assert.Equal("application/x-ndjson", r.Headers["Content-Type"]);
                Assert.Equal("Bearer secret", r.Headers["Authorization"]);
                Assert.False(r.Headers.ContainsKey("Content-Encoding"));
                Assert.Equal([0, 1, 2], ParseLines(r.Body).Select(e => e.GetProperty("n").GetInt32()));
            },
            r => Assert.Equal([3], ParseLines(r.Body).Select(e => e.GetProperty("n").GetInt32())));
    }

    [Fact]
    public async Task Http_sink_gzips_the_body_when_asked()
    {
        await using var server = await CapturingHttpServer.StartAsync();
        await using var sink = HttpFactory(new HttpSinkConfig { Uri = server.Uri.ToString(), Compression = HttpSinkConfig.BodyCompression.Gzip }).CreateForIsolate(0);

        await sink.WriteAsync(Events(0, 50), Ct);

        var request = Assert.Single(server.Requests);
        Assert.Equal("gzip", request.Headers["Content-Encoding"]);
        Assert.Equal([0x1f, 0x8b], request.RawBody.Take(2));
        Assert.True(request.RawBody.Length < request.Body.Length);
        Assert.Equal(Enumerable.Range(0, 50), ParseLines(request.Body).Select(e => e.GetProperty("n").GetInt32()));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(429)]
    [InlineData(408)]
    public async Task Http_sink_throws_a_retryable_error_for_server_errors_throttling_and_timeouts(int status)
    {
        await using var server = await CapturingHttpServer.StartAsync();
        server.StatusToAnswer = status;
        await using var sink = HttpFactory(new HttpSinkConfig { Uri = server.Uri.ToString() }).CreateForIsolate(0);

        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => sink.WriteAsync(Events(0, 1), Ct).AsTask());

        Assert.Equal(status, (int?)ex.StatusCode);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        Assert.Contains("rejected by test", ex.Message, StringComparison.Ordinal);
        Assert.True(FailurePolicy.IsRetryable(ex));
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task Http_sink_passes_on_the_backends_retry_after_with_a_retryable_failure(int status)
    {
        await using var server = await CapturingHttpServer.StartAsync();
        server.StatusToAnswer = status;
        server.RetryAfterToAnswer = "7";
        await using var sink = HttpFactory(new HttpSinkConfig { Uri = server.Uri.ToString() }).CreateForIsolate(0);

        var ex = await Assert.ThrowsAsync<RetryableFailureException>(() => sink.WriteAsync(Events(0, 1), Ct).AsTask());

        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
        Assert.Equal(status, (int?)Assert.IsType<HttpRequestException>(ex.InnerException).StatusCode);
        Assert.Contains("rejected by test", ex.Message, StringComparison.Ordinal);
        Assert.True(FailurePolicy.IsRetryable(ex));
    }

    [Fact]
    public async Task Http_sink_reports_a_refused_connection_as_a_retryable_failure()
    {
        // Bound to an ephemeral port but not listening: a connection to it is refused, and no one else can take the port.
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var sink = HttpFactory(new HttpSinkConfig { Uri = $"http://127.0.0.1:{((IPEndPoint)closed.LocalEndPoint!).Port}/ingest" }).CreateForIsolate(0);

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => sink.WriteAsync(Events(0, 1), Ct).AsTask());

        Assert.IsType<HttpRequestException>(ex);
        Assert.True(FailurePolicy.IsRetryable(ex));
    }

    [Fact]
    public async Task Http_sink_reports_a_backend_that_never_answers_as_a_retryable_timeout()
    {
        // Listening but never accepting: the kernel completes the connection, and no answer ever comes.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        await using var sink = HttpFactory(new HttpSinkConfig
        {
            Uri = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/ingest",
            Timeout = TimeSpan.FromMilliseconds(200),
        }).CreateForIsolate(0);

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => sink.WriteAsync(Events(0, 1), Ct).AsTask());

        Assert.True(FailurePolicy.IsRetryable(ex));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(413)]
    [InlineData(301)]
    public async Task Http_sink_throws_a_permanent_failure_with_the_backends_answer_for_client_errors_and_redirects_it_does_not_follow(int status)
    {
        await using var server = await CapturingHttpServer.StartAsync();
        server.StatusToAnswer = status;
        await using var sink = HttpFactory(new HttpSinkConfig { Uri = server.Uri.ToString() }).CreateForIsolate(0);

        var ex = await Assert.ThrowsAsync<PermanentFailureException>(() => sink.WriteAsync(Events(0, 1), Ct).AsTask());

        Assert.Contains(server.Uri.ToString(), ex.Message, StringComparison.Ordinal);
        Assert.Contains("rejected by test", ex.Message, StringComparison.Ordinal);
        Assert.False(FailurePolicy.IsRetryable(ex));
    }

    [Theory]
    [InlineData("/relative/path")]
    [InlineData("ftp://example.com/x")]
    [InlineData("")]
    public void Http_sink_factory_rejects_a_uri_that_is_not_absolute_http(string uri)
    {
        var ex = Assert.Throws<ComponentBuildException>(() => HttpFactory(new HttpSinkConfig { Uri = uri }));

        Assert.Equal("uri", ex.Option);
    }

    [Fact]
    public void Http_sink_factory_rejects_a_content_header()
    {
        var ex = Assert.Throws<ComponentBuildException>(() =>
            HttpFactory(new HttpSinkConfig { Uri = "http://127.0.0.1:1/x", Headers = new() { ["Content-Type"] = "text/plain" } }));

        Assert.Equal("headers", ex.Option);
        Assert.Contains("Content-Type", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Blackhole_sink_accepts_everything()
    {
        await using var sink = new BlackholeSinkConfig().Build(Context()).CreateForIsolate(0);

        await sink.WriteAsync(Events(0, 10), Ct);
        await sink.FlushAsync(Ct);
    }

    private static ComponentContext Context() => new("out", "test", Path.GetTempPath());

    private static ISinkFactory FileFactory(FileSinkConfig config) => config.Build(Context());

    /// <summary>The file that the factory's sink for this isolate writes to.</summary>
    private static string PathForIsolate(ISinkFactory factory, int isolateIndex) => ((FileSink)factory.CreateForIsolate(isolateIndex)).Path;

    private static ISinkFactory HttpFactory(HttpSinkConfig config) => config.Build(Context());

    private static Event[] Events(int first, int count)
        => [.. Enumerable.Range(first, count).Select(i => Event.Parse($$"""{"n":{{i}},"text":"hello"}"""))];

    private static JsonElement[] ParseLines(byte[] utf8)
    {
        var text = Encoding.UTF8.GetString(utf8);
        Assert.True(text.Length == 0 || text.EndsWith('\n'), "every line ends with a newline");
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
            return doc.RootElement.Clone();
        })];
    }
}

using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using Pipeline.Events;
using Pipeline.Sources.Http;

namespace Pipeline.Fuzzing;

/// <summary>
/// The http source's handler on an in-memory TestServer (the real handler and ASP.NET Core pipeline, no sockets), and
/// the property every request to it must satisfy: a documented status and never a 5xx (503 only once shutting down),
/// an answer within the hang guard, every line either accepted or listed as an error and dead-lettered, the request's trace context on every
/// event, and bounded memory (a gzip bomb allocates about max_body, not what it inflates to).
/// </summary>
public sealed class HttpIngestProperty : IAsyncDisposable
{
    /// <summary>The source's max_body: small, so that bodies and bombs over it are cheap to make.</summary>
    public const int MaxBody = 256 * 1024;

    /// <summary>Long enough for any honest request on a loaded CI machine; a request still unanswered is hung.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(10);

    private static readonly int[] DocumentedStatuses = [200, 400, 413, 415];

    // What reading a bomb may allocate: the body buffer growing by doubling to max_body (about 2x), the response, and
    // the runtime's own slack (thread-local allocation contexts, the TestServer's pipes). Far below what it inflates to.
    private const long BombAllocationBound = (4 * MaxBody) + (4 * 1024 * 1024);

    // Any request: what it allocates per byte read, plus the fixed cost of a request. Measured over 80,000 requests
    // the worst was about 35 bytes per byte (a 250 KiB JSON array of broken elements: an event or an error message each).
    private const long AllocationPerByteRead = 64;
    private const long AllocationSlack = 4 * 1024 * 1024;

    // The heap may grow while the pools fill (ArrayPool.Shared per core and thread, the event pools): measured, it
    // levels off at 25-45 MiB above the first requests' and wanders there. A leak of bodies or events would not.
    private const long HeapGrowthBound = 64 * 1024 * 1024;

    private const int WarmUpRequests = 20;

    private readonly WebApplication _app;
    private readonly HttpClient _client;
    private readonly CountingSourceContext _context;
    private readonly HttpIngestHandler _handler;
    private bool _shuttingDown;
    private long _heapBaseline = -1;
    private int _requests;

    private HttpIngestProperty(WebApplication app, HttpClient client, CountingSourceContext context, HttpIngestHandler handler)
    {
        _handler = handler;
        _app = app;
        _client = client;
        _context = context;
    }

    /// <summary>How much the managed heap (after a full collection) grew from the first requests to the end of the run; set by <see cref="CheckHeapBounded"/>.</summary>
    public long HeapGrowthBytes { get; private set; }

    public static async Task<HttpIngestProperty> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        var app = builder.Build();
        var context = new CountingSourceContext();
        var handler = new HttpIngestHandler(context, MaxBody, TimeSpan.FromSeconds(1), FieldPath.Parse(".traceparent"), limiter: new IngestLimiter(4L * MaxBody, 8));
        handler.MapTo(app, "/v1/events");
        await app.StartAsync().ConfigureAwait(false);
        return new HttpIngestProperty(app, app.GetTestClient(), context, handler);
    }

    /// <summary>The source starts shutting down: from now on every request must be answered 503, with nothing accepted.</summary>
    public void BeginShutdown()
    {
        _handler.BeginShutdown();
        _shuttingDown = true;
    }

    public async Task CheckAsync(IngestRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        _context.Clear();
        var isBomb = request.Coding == ContentCoding.Gzip && request.Plain is { Length: > MaxBody } && request.Body.Length <= MaxBody;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        using var message = ToHttpRequest(request);
        using var hangGuard = new CancellationTokenSource(HangGuard);
        HttpResponseMessage response;
        string text;
        try
        {
            response = await _client.SendAsync(message, hangGuard.Token).ConfigureAwait(false);
            text = await response.Content.ReadAsStringAsync(hangGuard.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (hangGuard.IsCancellationRequested)
        {
            throw new PropertyViolationException($"no answer within {HangGuard.TotalSeconds}s: the request hung");
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            var failures = _context.Failures;
            PropertyViolationException.ThrowUnless(failures.Count == 0, $"answered {status} after the handler failed: {(failures.Count > 0 ? failures[0] : null)}");
            if (_shuttingDown)
            {
                PropertyViolationException.ThrowUnless(status == 503 && _context.Sent.Count == 0, $"while shutting down, answered {status} with {_context.Sent.Count} events accepted: {text}");
                return;
            }
            PropertyViolationException.ThrowUnless(DocumentedStatuses.Contains(status), $"answered {status}, which is not a documented answer: {text}");
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            if (isBomb)
            {
                PropertyViolationException.ThrowUnless(allocated < BombAllocationBound, $"a gzip bomb ({request.Body.Length} bytes inflating to {request.Plain!.Length}) made the process allocate {allocated} bytes (bound {BombAllocationBound})");
            }
            // No input may cost memory out of proportion to what was read (nesting, keys, escapes, errors). Not
            // checked while the first requests warm up: the first one allocates megabytes of JIT and routing state.
            var read = request.Body.Length + Math.Min(request.Plain?.Length ?? MaxBody, MaxBody);
            PropertyViolationException.ThrowUnless(_requests < WarmUpRequests || allocated < (AllocationPerByteRead * read) + AllocationSlack,
                $"{read} bytes read made the process allocate {allocated} bytes (bound {AllocationPerByteRead} per byte + {AllocationSlack})");
            CheckStatus(request, status, text);
            using var json = JsonDocument.Parse(text);
            if (json.RootElement.TryGetProperty("accepted", out var accepted))
            {
                CheckAccounting(request, status, accepted.GetInt32(), json.RootElement.GetProperty("errors"));
            }
        }
        TrackHeap();
    }

    /// <summary>The managed heap after a full collection has grown no more than the pools take since the first requests.</summary>
    public void CheckHeapBounded()
    {
        if (_heapBaseline < 0)
        {
            return;
        }
        var growth = HeapGrowthBytes = GC.GetTotalMemory(forceFullCollection: true) - _heapBaseline;
        PropertyViolationException.ThrowUnless(growth < HeapGrowthBound, $"the managed heap grew by {growth} bytes over the run (bound {HeapGrowthBound})");
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static void CheckStatus(IngestRequest request, int status, string text)
    {
        if (request.ContentTypeAccepted == false || request.Coding == ContentCoding.Unsupported)
        {
            PropertyViolationException.ThrowUnless(status == 415, $"an unsupported Content-Type or Content-Encoding was answered {status}: {text}");
            return;
        }
        if (status == 415)
        {
            PropertyViolationException.ThrowUnless(request.ContentTypeAccepted is null, $"a supported Content-Type and Content-Encoding were answered 415: {text}");
            return;
        }
        var tooLarge = request.Body.Length > MaxBody || request.Plain is { Length: > MaxBody };
        if (tooLarge)
        {
            PropertyViolationException.ThrowUnless(status == 413, $"a body over max_body ({request.Body.Length} bytes sent, {request.Plain?.Length} plain) was answered {status}: {text}");
            return;
        }
        if (request.Plain is null)
        {
            // A broken gzip stream: refused as a whole, or read for what it yielded (a cut after a whole member).
            PropertyViolationException.ThrowUnless(status is 200 or 400 or 413, $"a broken gzip body was answered {status}: {text}");
            return;
        }
        PropertyViolationException.ThrowUnless(status is 200 or 400, $"a readable body within max_body was answered {status}: {text}");
    }

    /// <summary>Every line (NDJSON) or element (JSON) is either accepted or listed as an error and dead-lettered with a reason.</summary>
    private void CheckAccounting(IngestRequest request, int status, int accepted, JsonElement errors)
    {
        var sent = _context.Sent;
        var invalid = _context.Invalid;
        PropertyViolationException.ThrowUnless(accepted == sent.Count, $"the answer says {accepted} accepted, the pipeline got {sent.Count}");
        PropertyViolationException.ThrowUnless((status == 200) == (accepted > 0), $"answered {status} with {accepted} accepted");
        PropertyViolationException.ThrowUnless(errors.GetArrayLength() == invalid.Count, $"the answer lists {errors.GetArrayLength()} errors, {invalid.Count} were dead-lettered");
        PropertyViolationException.ThrowUnless(invalid.All(reason => reason.Length > 0), "an input was dead-lettered without a reason");
        if (request.Plain is not { } plain)
        {
            return;
        }
        if (request.IsNdjson)
        {
            var lines = NonBlankLineNumbers(plain);
            var listed = errors.EnumerateArray().Select(e => (long)e.GetProperty("line").GetInt32());
            var accounted = sent.Select(s => s.Position).Concat(listed).Order().ToArray();
            PropertyViolationException.ThrowUnless(accounted.SequenceEqual(lines),
                $"lines {string.Join(",", lines)} were answered as accepted or errors on lines {string.Join(",", accounted)}");
        }
        else if (ExpectedJsonElements(plain) is { } elements)
        {
            PropertyViolationException.ThrowUnless(accepted + errors.GetArrayLength() == elements, $"{elements} JSON elements, {accepted} accepted and {errors.GetArrayLength()} errors");
        }
        else
        {
            PropertyViolationException.ThrowUnless(errors.GetArrayLength() > 0, "a JSON body that does not parse was answered without an error");
        }
        CheckTraceContexts(request, plain, sent);
    }

    /// <summary>
    /// Each event carries its own traceparent field's context when that is valid (NDJSON, where each line is known),
    /// else the request's: the header's when there is exactly one valid header, else none.
    /// </summary>
    private static void CheckTraceContexts(IngestRequest request, byte[] plain, IReadOnlyList<(long Position, System.Diagnostics.ActivityContext Trace)> sent)
    {
        var lines = request.IsNdjson ? NonBlankLines(plain).ToDictionary(l => l.Number, l => l.Line) : null;
        if (lines is null && plain.AsSpan().IndexOf("traceparent"u8) >= 0)
        {
            return;
        }
        var fromHeader = request.Traceparents.Length == 1 ? Expected(request.Traceparents[0]) : null;
        foreach (var (position, trace) in sent)
        {
            var expected = (lines is null ? null : Expected(TraceparentFieldOf(lines[position]))) ?? fromHeader ?? "";
            var actual = trace == default ? "" : $"{trace.TraceId.ToHexString()}-{trace.SpanId.ToHexString()}-{(byte)trace.TraceFlags:x2}";
            PropertyViolationException.ThrowUnless(actual == expected, $"the event of line {position} has the trace context '{actual}', expected '{expected}'");
        }

        static string? Expected(string? traceparent)
            => traceparent is not null && W3CTraceparentReference.TryParse(traceparent, out var traceId, out var parentId, out var flags)
                ? $"{traceId}-{parentId}-{flags:x2}"
                : null;
    }

    /// <summary>The string an event's top-level traceparent field holds (the last one, as events resolve duplicates); null for none.</summary>
    private static string? TraceparentFieldOf(byte[] line)
    {
        try
        {
            using var document = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = Event.MaxDepth });
            var field = document.RootElement.EnumerateObject().LastOrDefault(p => p.Name == "traceparent");
            return field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString() : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static long[] NonBlankLineNumbers(byte[] plain) => [.. NonBlankLines(plain).Select(l => l.Number)];

    /// <summary>The lines that are not blank, numbered from 1 as the handler numbers them (after a BOM).</summary>
    private static List<(long Number, byte[] Line)> NonBlankLines(byte[] plain)
    {
        ReadOnlySpan<byte> text = plain.AsSpan().StartsWith("\uFEFF"u8) ? plain.AsSpan(3) : plain;
        var lines = new List<(long, byte[])>();
        var number = 0;
        foreach (var line in text.Split((byte)'\n'))
        {
            number++;
            if (!text[line].Trim(" \t\r"u8).IsEmpty)
            {
                lines.Add((number, text[line].ToArray()));
            }
        }
        return lines;
    }

    /// <summary>How many events or errors a JSON body must give (System.Text.Json as the oracle); null when it does not parse.</summary>
    private static int? ExpectedJsonElements(byte[] plain)
    {
        try
        {
            using var document = JsonDocument.Parse(plain, new JsonDocumentOptions { MaxDepth = Event.MaxDepth + 1 });
            return document.RootElement.ValueKind == JsonValueKind.Array ? document.RootElement.GetArrayLength() : 1;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static HttpRequestMessage ToHttpRequest(IngestRequest request)
    {
        var content = new ByteArrayContent(request.Body);
        if (request.ContentType is { } type)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", type);
        }
        if (request.ContentEncoding is { } encoding)
        {
            content.Headers.TryAddWithoutValidation("Content-Encoding", encoding);
        }
        var message = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = content };
        foreach (var traceparent in request.Traceparents)
        {
            message.Headers.TryAddWithoutValidation("traceparent", traceparent);
        }
        if (request.Tracestate is { } tracestate)
        {
            message.Headers.TryAddWithoutValidation("tracestate", tracestate);
        }
        return message;
    }

    private void TrackHeap()
    {
        // The first requests fill the pools and compile the code; growth is measured from after them.
        if (++_requests == WarmUpRequests)
        {
            _heapBaseline = GC.GetTotalMemory(forceFullCollection: true);
        }
    }
}

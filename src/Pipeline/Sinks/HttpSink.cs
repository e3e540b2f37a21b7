using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Sinks;

/// <summary>
/// POSTs each batch as one NDJSON body. A non-2xx answer throws: 4xx other than 408 and 429 as a
/// <see cref="PermanentFailureException"/> (sending the same body again cannot help), anything else as an ordinary
/// exception that the runtime retries with backoff.
/// </summary>
public sealed class HttpSink : ISink
{
    private const int ErrorBodySnippetBytes = 512;
    private static readonly MediaTypeHeaderValue NdjsonContentType = new("application/x-ndjson");

    private readonly HttpClient _client;
    private readonly Uri _uri;
    private readonly KeyValuePair<string, string>[] _headers;
    private readonly bool _gzip;
    private readonly TimeSpan _timeout;
    private readonly JsonLinesBuffer _lines = new();
    private readonly MemoryStream _compressed = new();

    public HttpSink(HttpClient client, Uri uri, KeyValuePair<string, string>[] headers, bool gzip, TimeSpan timeout)
    {
        _client = client;
        _uri = uri;
        _headers = headers;
        _gzip = gzip;
        _timeout = timeout;
    }

    public async ValueTask WriteAsync(IReadOnlyList<Event> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }
        _lines.Clear();
        for (var i = 0; i < batch.Count; i++)
        {
            _lines.Append(batch[i]);
        }
        var body = _gzip ? Compress(_lines.Written) : _lines.Written;

        using var request = new HttpRequestMessage(HttpMethod.Post, _uri) { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.ContentType = NdjsonContentType;
        if (_gzip)
        {
            request.Content.Headers.ContentEncoding.Add("gzip");
        }
        foreach (var (name, value) in _headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient reports its own timeout as a cancellation; the runtime must see a failure to retry, not a shutdown.
            throw new TimeoutException($"POST {_uri} got no response within the timeout of {_timeout.TotalSeconds}s", ex);
        }
        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                return;
            }
            var status = (int)response.StatusCode;
            var detail = await ReadSnippetAsync(response, cancellationToken).ConfigureAwait(false);
            var message = $"POST {_uri} answered {status} {response.ReasonPhrase}, expected 2xx; response body: {detail}";
            if (status is >= 400 and < 500 && response.StatusCode is not HttpStatusCode.RequestTimeout and not HttpStatusCode.TooManyRequests)
            {
                throw new PermanentFailureException(message);
            }
            throw new HttpRequestException(message, null, response.StatusCode);
        }
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        _compressed.Dispose();
        return ValueTask.CompletedTask;
    }

    private ReadOnlyMemory<byte> Compress(ReadOnlyMemory<byte> body)
    {
        _compressed.SetLength(0);
        using (var gzip = new GZipStream(_compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(body.Span);
        }
        return _compressed.GetBuffer().AsMemory(0, (int)_compressed.Length);
    }

    private static async Task<string> ReadSnippetAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[ErrorBodySnippetBytes];
            var filled = 0;
            int read;
            while (filled < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false)) > 0)
            {
                filled += read;
            }
            return filled == 0 ? "(empty)" : Encoding.UTF8.GetString(buffer, 0, filled);
        }
    }
}

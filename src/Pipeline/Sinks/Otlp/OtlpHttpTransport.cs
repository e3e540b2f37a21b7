using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Pipeline.Components;
using Pipeline.Telemetry;

namespace Pipeline.Sinks.Otlp;

/// <summary>
/// OTLP/HTTP with binary protobuf (https://opentelemetry.io/docs/specs/otlp/#otlphttp): each request POSTed to the
/// logs URL. 429, 502, 503 and 504 are retryable (with Retry-After when given), as the specification says; any other
/// non-2xx answer is permanent, with the google.rpc.Status message of its body.
/// </summary>
internal sealed class OtlpHttpTransport(OtlpExportSettings settings, HttpClient client) : IOtlpLogsTransport, IDisposable
{
    private const int AnswerBytes = 4096;
    private static readonly MediaTypeHeaderValue ProtobufContentType = new("application/x-protobuf");

    private readonly HttpClientSpan _clientSpan = new(HttpMethod.Post.Method, settings.Endpoint);
    private readonly MemoryStream _compressed = new();

    // An answer is read into this (a success is an ExportLogsServiceResponse of a few bytes): one buffer per isolate,
    // not one per batch. A longer answer is cut; its partial_success count comes first.
    private readonly byte[] _answer = new byte[AnswerBytes];

    public async Task<OtlpPartialSuccess> ExportAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, settings.Endpoint)
        {
            Content = new ReadOnlyMemoryContent(settings.Gzip ? Compress(request) : request),
        };
        message.Content.Headers.ContentType = ProtobufContentType;
        if (settings.Gzip)
        {
            message.Content.Headers.ContentEncoding.Add("gzip");
        }
        foreach (var (name, value) in settings.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }
        _clientSpan.RecordRequest();
        var response = await HttpSink.SendForHeadersAsync(client, message, $"OTLP/HTTP export to {settings.Endpoint}", settings.Timeout, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            HttpClientSpan.RecordResponse((int)response.StatusCode);
            var length = await ReadAsync(response, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                // Only a protobuf answer can carry a partial_success; a proxy's "OK" is a full success, not one to parse.
                return IsProtobuf(response) ? OtlpPartialSuccess.Read(_answer.AsSpan(0, length)) : default;
            }
            var status = (int)response.StatusCode;
            var text = $"OTLP/HTTP export to {settings.Endpoint} answered {status} {response.ReasonPhrase}: {ErrorText(response, _answer.AsSpan(0, length))}";
            if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout)
            {
                return RetryAfterOf(response) is { } after
                    ? throw new RetryableFailureException($"{text}; Retry-After {after.TotalSeconds}s", new HttpRequestException(text, null, response.StatusCode)) { RetryAfter = after }
                    : throw new RetryableFailureException(text, new HttpRequestException(text, null, response.StatusCode));
            }
            throw new PermanentFailureException(text);
        }
    }

    private static string ErrorText(HttpResponseMessage response, ReadOnlySpan<byte> body)
    {
        if (body.Length == 0)
        {
            return "(empty body)";
        }
        if (IsProtobuf(response) && RpcStatusDetails.Message(body) is { } message)
        {
            return message;
        }
        return Encoding.UTF8.GetString(body);
    }

    public void Dispose() => _compressed.Dispose();

    private static bool IsProtobuf(HttpResponseMessage response)
        => string.Equals(response.Content.Headers.ContentType?.MediaType, ProtobufContentType.MediaType, StringComparison.OrdinalIgnoreCase);

    /// <summary>The answer's Retry-After as a wait from now (seconds, or an HTTP date); null when it has none.</summary>
    private static TimeSpan? RetryAfterOf(HttpResponseMessage response)
        => response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
            _ => null,
        };

    /// <summary>Reads the answer's body into <see cref="_answer"/>, as much of it as fits; returns its length.</summary>
    private async Task<int> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var filled = 0;
            int read;
            while (filled < _answer.Length && (read = await stream.ReadAsync(_answer.AsMemory(filled), cancellationToken).ConfigureAwait(false)) > 0)
            {
                filled += read;
            }
            return filled;
        }
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
}

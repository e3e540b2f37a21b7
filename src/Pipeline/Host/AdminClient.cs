using System.Net;
using System.Net.Http.Headers;

namespace Pipeline.Host;

/// <summary>
/// How <c>pipeline tap</c> and <c>pipeline top</c> reach a running pipeline's admin port (the address and token that
/// <see cref="Commands.AdminTarget"/> resolves), and the one-line errors they print when nothing answers or the answer
/// is a refusal.
/// </summary>
internal sealed class AdminClient : IDisposable
{
    public const string DefaultAddress = "127.0.0.1:9464";

    private readonly HttpClient _http;

    private AdminClient(Uri baseAddress, string? token)
    {
        BaseAddress = baseAddress;
        // No overall timeout: a tap streams for as long as it runs; cancellation ends it.
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        if (!string.IsNullOrEmpty(token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Uri BaseAddress { get; }

    /// <summary>The client, or null with <paramref name="error"/> when the address is not one.</summary>
    public static AdminClient? Create(string address, string? token, out string? error)
    {
        var text = address.Contains("://", StringComparison.Ordinal) ? address : "http://" + address;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.AbsolutePath != "/")
        {
            error = $"error: --admin-address: expected host:port or http(s)://host:port, found '{address}'";
            return null;
        }
        error = null;
        return new AdminClient(uri, token);
    }

    /// <summary>
    /// GETs <paramref name="pathAndQuery"/>, the headers only; null with <paramref name="error"/> (one line) when nothing
    /// answers or the admin port refused: the server's own message, which names the reason.
    /// </summary>
    public async Task<(HttpResponseMessage? Response, string? Error)> GetAsync(string pathAndQuery, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(pathAndQuery, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            return (null, $"error: nothing answers at {BaseAddress}: is the pipeline running? pass --admin-address ({e.Message})");
        }
        if (response.IsSuccessStatusCode)
        {
            return (response, null);
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var firstLine = body.Split('\n', 2)[0].Trim();
            var why = response.StatusCode switch
            {
                HttpStatusCode.Unauthorized => "refused (401): pass --token or set PIPELINE_ADMIN_TOKEN",
                HttpStatusCode.Forbidden => "refused (403)",
                _ => $"{(int)response.StatusCode} {response.ReasonPhrase}",
            };
            return (null, firstLine.Length == 0 ? $"error: {why}" : $"error: {why}: {firstLine}");
        }
    }

    public void Dispose() => _http.Dispose();
}

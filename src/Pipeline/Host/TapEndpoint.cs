using System.Numerics;
using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pipeline.Topology;

namespace Pipeline.Host;

/// <summary>
/// <c>GET /tap?component=id[.output]&amp;limit=N&amp;sample=R</c>: streams copies of the events leaving a component as
/// JSON lines (<c>application/x-ndjson</c>, chunked) until <c>limit</c> events, the client hanging up, or the
/// pipeline finishing or stopping; the last line, <c>{"tap_end":{…}}</c>, says why and how many copies were dropped.
/// Who may call it is the admin server's decision (<see cref="AdminServer"/>: a token, or a loopback client).
/// </summary>
internal static class TapEndpoint
{
    public const string Path = "/tap";

    /// <summary>Bytes copied into the response before it is flushed.</summary>
    private const int FlushEvery = 64 * 1024;

    public static void Map(WebApplication app, RunningTopology topology)
    {
        var stopping = app.Lifetime.ApplicationStopping;
        app.MapGet(Path, http => StreamAsync(http, topology, stopping));
    }

    private static async Task StreamAsync(HttpContext http, RunningTopology topology, CancellationToken serverStopping)
    {
        var query = http.Request.Query;
        var component = query["component"].ToString();
        if (component.Length == 0)
        {
            await AdminServer.WriteTextAsync(http, StatusCodes.Status400BadRequest,
                $"tap needs ?component=<id> or <id>.<output>; can be tapped: {string.Join(", ", topology.TapPoints)}\n").ConfigureAwait(false);
            return;
        }
        if (!TryParse(query["limit"].ToString(), out long limit, long.MaxValue, 1, long.MaxValue, out var error)
            || !TryParse(query["sample"].ToString(), out double sample, 1.0, double.Epsilon, 1.0, out error))
        {
            await AdminServer.WriteTextAsync(http, StatusCodes.Status400BadRequest, error + "\n").ConfigureAwait(false);
            return;
        }
        using var tap = topology.Tap(component, sample, out var refusal);
        if (tap is null)
        {
            await AdminServer.WriteTextAsync(http, StatusCodes.Status404NotFound, refusal + "\n").ConfigureAwait(false);
            return;
        }

        http.Response.ContentType = "application/x-ndjson";
        http.Response.Headers.CacheControl = "no-store";
        // The headers go out at once: a client knows the tap is attached before the first event comes.
        await http.Response.StartAsync(http.RequestAborted).ConfigureAwait(false);
        await http.Response.Body.FlushAsync(http.RequestAborted).ConfigureAwait(false);
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, serverStopping);
        var written = 0L;
        string reason;
        try
        {
            reason = await CopyAsync(tap, topology.Completion, limit, http.Response, n => written = n, ended.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return; // the client hung up: nobody to tell; disposing the session detaches the tap
        }
        catch (OperationCanceledException)
        {
            reason = "stopping";
        }
        var end = string.Create(CultureInfo.InvariantCulture,
            $"{{\"tap_end\":{{\"reason\":\"{reason}\",\"events\":{written},\"dropped\":{tap.Dropped}}}}}\n");
        await http.Response.BodyWriter.WriteAsync(Encoding.UTF8.GetBytes(end), http.RequestAborted).ConfigureAwait(false);
    }

    /// <returns>Why the stream ended: <c>limit</c>, or <c>finished</c> (the pipeline completed).</returns>
    /// <remarks>
    /// Lines are copied into the response's pipe and flushed once per drained batch: a write and flush per line kept
    /// a tap at sample 1.0 on a busy stage to under half of its events (the rest dropped, counted).
    /// </remarks>
    private static async Task<string> CopyAsync(
        TapSession tap, Task pipelineFinished, long limit, HttpResponse response, Action<long> progress, CancellationToken cancellationToken)
    {
        var written = 0L;
        var lines = tap.Lines;
        var body = response.BodyWriter;
        while (true)
        {
            var batch = 0;
            while (written < limit && batch < FlushEvery && lines.TryRead(out var line))
            {
                body.Write(line);
                batch += line.Length;
                written++;
            }
            progress(written);
            await body.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (written >= limit)
            {
                return "limit";
            }
            if (batch > 0)
            {
                continue;
            }
            if (pipelineFinished.IsCompleted)
            {
                // Whatever was queued before the end has been sent by the pass above.
                return "finished";
            }
            var more = lines.WaitToReadAsync(cancellationToken).AsTask();
            await Task.WhenAny(more, pipelineFinished).ConfigureAwait(false);
            if (more.IsCompleted && !await more.ConfigureAwait(false))
            {
                return "finished";
            }
        }
    }

    private static bool TryParse<T>(string text, out T value, T fallback, T min, T max, out string error)
        where T : struct, INumber<T>
    {
        error = "";
        value = fallback;
        if (text.Length == 0)
        {
            return true;
        }
        if (T.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= min && value <= max)
        {
            return true;
        }
        error = typeof(T) == typeof(long)
            ? $"limit: expected a whole number of events of at least 1, found '{text}'"
            : $"sample: expected a share of events above 0 and at most 1 (0.01 is one in a hundred), found '{text}'";
        return false;
    }
}

using System.Numerics;
using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pipeline.Isolates;
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

    /// <summary>How long a tap's reader sleeps when its queue had little in it: the most a line waits to be sent.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

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
    /// The reader polls rather than waits on the queue: a waiting reader makes the producer's write wake a thread-pool
    /// thread for every copied event, and that wake-up, on the stage's own thread, cost more than the copy (a tap at
    /// sample 0.01 took 20 % more of the pipeline's CPU; docs/inspect.md). While copies arrive faster than a poll
    /// drains, it drains again at once. Lines are copied into the response's pipe and flushed once per pass.
    /// </remarks>
    private static async Task<string> CopyAsync(
        TapSession tap, Task pipelineFinished, long limit, HttpResponse response, Action<long> progress, CancellationToken cancellationToken)
    {
        var written = 0L;
        var lines = tap.Lines;
        var body = response.BodyWriter;
        while (true)
        {
            var drained = 0;
            var bytes = 0;
            while (written < limit && bytes < FlushEvery && lines.TryRead(out var line))
            {
                body.Write(line);
                bytes += line.Length;
                drained++;
                written++;
            }
            progress(written);
            if (drained > 0)
            {
                await body.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            if (written >= limit)
            {
                return "limit";
            }
            if (drained >= EventTap.Capacity / 4 || bytes >= FlushEvery)
            {
                continue;
            }
            if (pipelineFinished.IsCompleted)
            {
                // Nothing comes after the end: once what was queued before it is sent, so is everything.
                if (lines.Count == 0)
                {
                    return "finished";
                }
                continue;
            }
            await Task.WhenAny(Task.Delay(PollInterval, cancellationToken), pipelineFinished).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
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

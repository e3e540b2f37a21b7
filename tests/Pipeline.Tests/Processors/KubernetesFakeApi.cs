using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Processors;

/// <summary>
/// A fake Kubernetes API server on a loopback port: <c>GET /api/v1/pods</c> answers a list or, with <c>watch=true</c>,
/// a watch stream, each from a script the test queues. Every request is recorded in order, so tests wait on the
/// request itself instead of sleeping. With its script empty, a list answers 500 and a watch stays open, sending
/// nothing, until the client goes away.
/// </summary>
internal sealed class KubernetesFakeApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<ApiRequest> _requests = Channel.CreateUnbounded<ApiRequest>();

    private KubernetesFakeApi(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public ConcurrentQueue<Func<HttpContext, Task>> Lists { get; } = new();

    public ConcurrentQueue<Func<HttpContext, Task>> Watches { get; } = new();

    /// <summary>Completed when a watch the fake held open was abandoned by the client.</summary>
    public TaskCompletionSource WatchAbandoned { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<KubernetesFakeApi> StartAsync()
    {
        KubernetesFakeApi? api = null;
        var (app, address) = await LoopbackServer.StartAsync(app => app.MapGet("/api/v1/pods", context => api!.HandleAsync(context)));
        api = new KubernetesFakeApi(app, address);
        return api;
    }

    /// <summary>The next request the server saw (waiting for it, up to 10 s).</summary>
    public async Task<ApiRequest> NextRequestAsync()
        => await _requests.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>A PodList with these pods (JSON objects) at <paramref name="resourceVersion"/>.</summary>
    public static Func<HttpContext, Task> PodList(string resourceVersion, params string[] pods)
        => context => Json(context, 200, $$"""{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"{{resourceVersion}}"},"items":[{{string.Join(",", pods)}}]}""");

    /// <summary>A watch stream of these events (<c>{"type":…,"object":…}</c>), flushed one by one; then the stream ends
    /// (the server closes it) or, with <paramref name="keepOpen"/>, stays open until the client goes away.</summary>
    public Func<HttpContext, Task> WatchEvents(bool keepOpen, params string[] events) => async context =>
    {
        context.Response.ContentType = "application/json";
        foreach (var line in events)
        {
            await context.Response.WriteAsync(line + "\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
        if (keepOpen)
        {
            await HoldOpenAsync(context);
        }
    };

    /// <summary>A failure status, as the API server answers one (a v1 Status object).</summary>
    public static Func<HttpContext, Task> Status(int code, string reason)
        => context => Json(context, code, $$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"{{reason}}","reason":"{{reason}}","code":{{code}}}""");

    public static string WatchEvent(string type, string pod) => $$"""{"type":"{{type}}","object":{{pod}}}""";

    /// <summary>The ERROR watch event the API server sends when the watched resourceVersion is too old.</summary>
    public static string ExpiredEvent()
        => """{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version","reason":"Expired","code":410}}""";

    public static string Pod(string name, string ns, string resourceVersion, Dictionary<string, string>? labels = null, Dictionary<string, string>? annotations = null, string node = "node-1")
        => JsonSerializer.Serialize(new
        {
            kind = "Pod",
            apiVersion = "v1",
            metadata = new { name, @namespace = ns, uid = $"uid-{name}", resourceVersion, labels = labels ?? [], annotations = annotations ?? [] },
            spec = new { nodeName = node },
        });

    private async Task HandleAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var watch = query["watch"] is var w && (w == "true" || w == "1");
        await _requests.Writer.WriteAsync(new ApiRequest(watch, query["fieldSelector"].ToString(), query["resourceVersion"].ToString()));
        var script = watch ? Watches : Lists;
        if (script.TryDequeue(out var respond))
        {
            await respond(context);
        }
        else if (watch)
        {
            await HoldOpenAsync(context);
        }
        else
        {
            await Json(context, 500, """{"kind":"Status","code":500}""");
        }
    }

    private async Task HoldOpenAsync(HttpContext context)
    {
        await context.Response.Body.FlushAsync(CancellationToken.None);
        try
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            WatchAbandoned.TrySetResult();
        }
    }

    private static async Task Json(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }
}

/// <summary>One request the fake API server saw.</summary>
internal sealed record ApiRequest(bool Watch, string FieldSelector, string ResourceVersion);

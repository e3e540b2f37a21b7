using System.Net;
using Pipeline.Components;
using Pipeline.Sources.Otlp;

namespace Pipeline.Tests.Otlp;

/// <summary>An otlp source with both servers on loopback port 0, run against a test's source context until disposed.</summary>
internal sealed class RunningOtlpSource : IAsyncDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _run;

    private RunningOtlpSource(OtlpSource source, ISourceContext context)
    {
        Source = source;
        _run = Task.Run(() => source.RunAsync(context, _stopping.Token));
    }

    public OtlpSource Source { get; }

    public Uri Grpc { get; private set; } = null!;

    public Uri Http { get; private set; } = null!;

    /// <summary>The OTLP/HTTP logs endpoint.</summary>
    public Uri Logs => new(Http, "/v1/logs");

    public static async Task<RunningOtlpSource> StartAsync(ISourceContext context, Action<OtlpSourceConfig>? configure = null, Func<string, string?>? environment = null)
    {
        var config = new OtlpSourceConfig { Grpc = new(), Http = new() };
        configure?.Invoke(config);
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        var running = new RunningOtlpSource(new OtlpSource(loopback, loopback, config, environment), context);
        var ct = TestContext.Current.CancellationToken;
        running.Grpc = (await running.Source.GrpcListening.WaitAsync(HangGuard, ct)).Single();
        running.Http = (await running.Source.HttpListening.WaitAsync(HangGuard, ct)).Single();
        return running;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _run.WaitAsync(HangGuard);
        _stopping.Dispose();
    }
}

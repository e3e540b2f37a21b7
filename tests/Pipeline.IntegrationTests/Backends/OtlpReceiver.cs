using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Pipeline.IntegrationTests.Backends;

/// <summary>
/// A real OTLP receiver: the Aspire dashboard from its NuGet package (a package reference of this project, so CI
/// installs nothing by hand), on free loopback ports, OTLP over gRPC and HTTP/protobuf. Its API answers what it
/// received as OTLP JSON: <c>/api/telemetry/traces</c>, <c>/api/telemetry/traces/{id}</c>, <c>/api/telemetry/logs</c>.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private static readonly TimeSpan ReadyWithin = TimeSpan.FromSeconds(60);

    private readonly ChildProcess _process;
    private readonly HttpClient _api;

    private OtlpReceiver(ChildProcess process, Uri api, Uri grpc, Uri http)
    {
        _process = process;
        _api = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromSeconds(30) };
        GrpcEndpoint = grpc;
        HttpEndpoint = http;
    }

    /// <summary>OTLP/gRPC, e.g. http://127.0.0.1:41234.</summary>
    public Uri GrpcEndpoint { get; }

    /// <summary>OTLP/HTTP base, e.g. http://127.0.0.1:41235 (add /v1/traces or /v1/logs).</summary>
    public Uri HttpEndpoint { get; }

    public static string Executable
    {
        get
        {
            var directory = typeof(OtlpReceiver).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "AspireDashboardDirectory").Value;
            return Path.Combine(directory ?? "", "tools", "Aspire.Dashboard");
        }
    }

    public static async Task<OtlpReceiver> StartAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new FileNotFoundException($"the OTLP receiver is missing: {Executable} (the Aspire.Dashboard.Sdk.linux-x64 package restores it)");
        }
        var (api, grpc, http) = (Loopback(FreePort.Next()), Loopback(FreePort.Next()), Loopback(FreePort.Next()));
        var process = ChildProcess.Start("otlp-receiver", Executable, [], new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = api.ToString(),
            ["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = grpc.ToString(),
            ["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = http.ToString(),
            ["ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS"] = "true",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            // Room for every span and log record of a run: the default keeps the newest 10,000 of each.
            ["Dashboard__TelemetryLimits__MaxTraceCount"] = "100000",
            ["Dashboard__TelemetryLimits__MaxLogCount"] = "100000",
        }, Path.GetDirectoryName(Executable)!);
        var receiver = new OtlpReceiver(process, api, grpc, http);
        try
        {
            await receiver.WaitUntilReadyAsync();
            return receiver;
        }
        catch
        {
            await receiver.DisposeAsync();
            throw;
        }
    }

    /// <summary>Every span received, flattened from OTLP JSON with its resource's attributes.</summary>
    public async Task<IReadOnlyList<ReceivedSpan>> SpansAsync()
    {
        using var body = await GetAsync("api/telemetry/traces?limit=100000");
        return [.. ReceivedSpan.Read(body.RootElement.GetProperty("data"))];
    }

    /// <summary>The spans of one trace, or none when the receiver does not know it.</summary>
    public async Task<IReadOnlyList<ReceivedSpan>> TraceAsync(string traceId)
    {
        using var response = await _api.GetAsync($"api/telemetry/traces/{traceId}", TestContext.Current.CancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return [];
        }
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return [.. ReceivedSpan.Read(body.RootElement.GetProperty("data"))];
    }

    /// <summary>Every log record received, with its resource's attributes.</summary>
    public async Task<IReadOnlyList<ReceivedLogRecord>> LogRecordsAsync()
    {
        using var body = await GetAsync("api/telemetry/logs?limit=100000");
        return [.. ReceivedLogRecord.Read(body.RootElement.GetProperty("data"))];
    }

    public string Tail() => _process.Tail();

    public async ValueTask DisposeAsync()
    {
        _api.Dispose();
        await _process.DisposeAsync();
    }

    private async Task<JsonDocument> GetAsync(string path)
    {
        using var response = await _api.GetAsync(path, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    private async Task WaitUntilReadyAsync()
    {
        await _process.WaitUntilAnswersAsync(_api, "api/telemetry/traces?limit=1", ReadyWithin);
    }

    private static Uri Loopback(int port) => new($"http://127.0.0.1:{port}");
}

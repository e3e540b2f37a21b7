using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Pipeline.Tests.Deploy;

/// <summary>
/// A real Prometheus on 127.0.0.1 with an empty TSDB in a temporary directory, to have expressions parsed by the
/// real PromQL parser through /api/v1/query. Killed and deleted on dispose.
/// </summary>
internal sealed class LocalPrometheus : IAsyncDisposable
{
    private static readonly TimeSpan ReadyWithin = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly string _directory;
    private readonly HttpClient _http;

    private LocalPrometheus(Process process, string directory, Uri address)
    {
        _process = process;
        _directory = directory;
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public static async Task<LocalPrometheus> StartAsync(ExternalTool prometheus)
    {
        var directory = Directory.CreateTempSubdirectory("pipeline-promql-").FullName;
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, "global:\n  scrape_interval: 1m\n", TestContext.Current.CancellationToken);
        var port = FreeLoopbackPort();
        var process = prometheus.Start(
        [
            $"--config.file={config}",
            $"--storage.tsdb.path={Path.Combine(directory, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
        ], directory);
        // Drain its log output so a full pipe never blocks it; it is read only when startup fails.
        var log = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        _ = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var server = new LocalPrometheus(process, directory, new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            await server.WaitUntilReadyAsync(log);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>null when the expression parses and evaluates; else Prometheus's error type and message.</summary>
    public async Task<string?> QueryErrorAsync(string expression)
    {
        using var form = new FormUrlEncodedContent([KeyValuePair.Create("query", expression)]);
        using var response = await _http.PostAsync("api/v1/query", form, TestContext.Current.CancellationToken);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var status = body.RootElement.GetProperty("status").GetString();
        if (status == "success")
        {
            return null;
        }
        return $"{body.RootElement.GetProperty("errorType").GetString()}: {body.RootElement.GetProperty("error").GetString()}";
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        }
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task WaitUntilReadyAsync(Task<string> log)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < ReadyWithin)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"prometheus exited with {_process.ExitCode} before it was ready:\n{await log}");
            }
            try
            {
                using var response = await _http.GetAsync("-/ready", TestContext.Current.CancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);
        }
        throw new TimeoutException($"prometheus was not ready within {ReadyWithin}");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Pipeline.Tests.Deploy;

namespace Pipeline.IntegrationTests.Backends;

/// <summary>
/// A real Prometheus (Debian's package; .ci/run installs it) on a free loopback port, with an empty TSDB in a
/// temporary directory, exemplar storage on, scraping its targets every second as job <c>pipeline</c> and evaluating
/// the repository's rule files (or a copy the caller changed) every second. Targets are a file_sd file, so a target
/// that only exists once its port is known can be added while it runs.
/// </summary>
internal sealed partial class PrometheusServer : IAsyncDisposable
{
    private static readonly TimeSpan ReadyWithin = TimeSpan.FromSeconds(60);

    private readonly ChildProcess _process;
    private readonly string _directory;
    private readonly HttpClient _api;

    private PrometheusServer(ChildProcess process, string directory, Uri address)
    {
        _process = process;
        _directory = directory;
        Address = address;
        _api = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri Address { get; }

    /// <summary>The prometheus binary, or null when it is not installed (Debian package 'prometheus').</summary>
    public static string? Executable =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "prometheus")).FirstOrDefault(File.Exists);

    /// <param name="ruleFiles">name → contents of the rule files to load.</param>
    public static async Task<PrometheusServer> StartAsync(string name, IReadOnlyDictionary<string, string> ruleFiles)
    {
        var executable = Executable ?? throw new InvalidOperationException("prometheus is not installed (Debian package 'prometheus'; .ci/run installs it)");
        var directory = Directory.CreateTempSubdirectory($"pipeline-it-{name}-").FullName;
        foreach (var (file, contents) in ruleFiles)
        {
            await File.WriteAllTextAsync(Path.Combine(directory, file), contents, TestContext.Current.CancellationToken);
        }
        await File.WriteAllTextAsync(Path.Combine(directory, "targets.json"), "[]", TestContext.Current.CancellationToken);
        var config = $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            rule_files:
            {string.Join('\n', ruleFiles.Keys.Select(f => $"  - {f}"))}
            scrape_configs:
              - job_name: pipeline
                file_sd_configs:
                  - files: [targets.json]
                    refresh_interval: 1s
            """;
        await File.WriteAllTextAsync(Path.Combine(directory, "prometheus.yml"), config, TestContext.Current.CancellationToken);
        var port = FreePort.Next();
        var process = ChildProcess.Start($"prometheus-{name}", executable,
        [
            $"--config.file={Path.Combine(directory, "prometheus.yml")}",
            $"--storage.tsdb.path={Path.Combine(directory, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
            "--enable-feature=exemplar-storage",
            "--log.level=warn",
        ], new Dictionary<string, string?>(), directory);
        var server = new PrometheusServer(process, directory, new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            await server.WaitUntilReadyAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The repository's rule files as they are.</summary>
    public static IReadOnlyDictionary<string, string> RepositoryRules() =>
        PrometheusRuleFiles.RuleFiles.ToDictionary(f => Path.GetFileName(f), f => File.ReadAllText(f), StringComparer.Ordinal);

    /// <summary>
    /// The repository's rule files with every alert's <c>for:</c> shortened to <paramref name="forDuration"/>, so a
    /// test drives an alert to firing in seconds instead of waiting out minutes. Nothing else changes.
    /// </summary>
    public static IReadOnlyDictionary<string, string> RepositoryRulesWithShortFor(string forDuration) =>
        RepositoryRules().ToDictionary(kv => kv.Key, kv => ForClause().Replace(kv.Value, m => $"{m.Groups["indent"].Value}for: {forDuration}"));

    /// <summary>Scrapes these host:port targets from now on (job <c>pipeline</c>).</summary>
    public async Task SetTargetsAsync(params string[] targets)
    {
        var path = Path.Combine(_directory, "targets.json");
        var json = JsonSerializer.Serialize(new[] { new { targets } });
        // Written beside and renamed, so Prometheus never reads half a file.
        await File.WriteAllTextAsync(path + ".tmp", json, TestContext.Current.CancellationToken);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>An instant query's result vector (or matrix) elements.</summary>
    public async Task<IReadOnlyList<PromSample>> QueryAsync(string expression)
    {
        using var form = new FormUrlEncodedContent([KeyValuePair.Create("query", expression)]);
        using var response = await _api.PostAsync("api/v1/query", form, TestContext.Current.CancellationToken);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var root = body.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"{expression}: {root.GetProperty("errorType").GetString()}: {root.GetProperty("error").GetString()}");
        }
        var data = root.GetProperty("data");
        var type = data.GetProperty("resultType").GetString();
        if (type is "scalar" or "string")
        {
            var pair = data.GetProperty("result");
            return [new PromSample(new Dictionary<string, string>(StringComparer.Ordinal), ParseValue(pair[1].GetString()))];
        }
        return [.. data.GetProperty("result").EnumerateArray().Select(e => new PromSample(
            e.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal),
            e.TryGetProperty("value", out var v) ? ParseValue(v[1].GetString()) : double.NaN))];
    }

    /// <summary>The trace ids of the exemplars of a selector over the last <paramref name="window"/>.</summary>
    public async Task<IReadOnlyList<string>> ExemplarTraceIdsAsync(string selector, TimeSpan window)
    {
        var end = DateTimeOffset.UtcNow;
        var query = $"api/v1/query_exemplars?query={Uri.EscapeDataString(selector)}" +
            $"&start={(end - window).ToUnixTimeSeconds()}&end={end.ToUnixTimeSeconds() + 1}";
        using var response = await _api.GetAsync(query, TestContext.Current.CancellationToken);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var ids = new List<string>();
        foreach (var series in body.RootElement.GetProperty("data").EnumerateArray())
        {
            foreach (var exemplar in series.GetProperty("exemplars").EnumerateArray())
            {
                if (exemplar.GetProperty("labels").TryGetProperty("trace_id", out var id))
                {
                    ids.Add(id.GetString() ?? "");
                }
            }
        }
        return ids;
    }

    /// <summary>The alerts Prometheus holds now (pending and firing), by name and state.</summary>
    public async Task<IReadOnlyList<(string Name, string State, IReadOnlyDictionary<string, string> Labels)>> AlertsAsync()
    {
        using var response = await _api.GetAsync("api/v1/alerts", TestContext.Current.CancellationToken);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return [.. body.RootElement.GetProperty("data").GetProperty("alerts").EnumerateArray().Select(a =>
        {
            var labels = a.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal);
            return (labels["alertname"], a.GetProperty("state").GetString() ?? "", (IReadOnlyDictionary<string, string>)labels);
        })];
    }

    /// <summary>Every metric name Prometheus has scraped, with the type its targets declared (api/v1/metadata).</summary>
    public async Task<IReadOnlyDictionary<string, string>> MetricTypesAsync()
    {
        using var response = await _api.GetAsync("api/v1/metadata", TestContext.Current.CancellationToken);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return body.RootElement.GetProperty("data").EnumerateObject()
            .ToDictionary(m => m.Name, m => m.Value[0].GetProperty("type").GetString() ?? "", StringComparer.Ordinal);
    }

    /// <summary>The state of every scrape target: "up", "down" or "unknown".</summary>
    public async Task<IReadOnlyList<(string ScrapeUrl, string Health)>> TargetsAsync()
    {
        using var response = await _api.GetAsync("api/v1/targets", TestContext.Current.CancellationToken);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        return [.. body.RootElement.GetProperty("data").GetProperty("activeTargets").EnumerateArray()
            .Select(t => (t.GetProperty("scrapeUrl").GetString() ?? "", t.GetProperty("health").GetString() ?? ""))];
    }

    public string Tail() => _process.Tail();

    public async ValueTask DisposeAsync()
    {
        _api.Dispose();
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A TSDB file still being closed; the temporary directory is the system's to clean.
        }
    }

    private static double ParseValue(string? text) => text switch
    {
        "NaN" => double.NaN,
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        _ => double.Parse(text ?? "NaN", CultureInfo.InvariantCulture),
    };

    private async Task WaitUntilReadyAsync()
    {
        await _process.WaitUntilAnswersAsync(_api, "-/ready", ReadyWithin);
    }

    [GeneratedRegex(@"^(?<indent>[ \t]+)for:\s*\S+", RegexOptions.Multiline)]
    private static partial Regex ForClause();
}

/// <summary>One element of a query result: its labels and (for an instant vector) its value.</summary>
internal sealed record PromSample(IReadOnlyDictionary<string, string> Labels, double Value)
{
    public string Label(string name) => Labels.GetValueOrDefault(name, "");
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Host;
using Pipeline.Telemetry;
using Pipeline.Topology;
using Prometheus;
using Serilog;
using Serilog.Events;

namespace Pipeline.Tests.Logging;

/// <summary>The admin port's /loglevel, in process. These tests change the process-wide level and put it back.</summary>
public sealed class LogLevelEndpointTests : IAsyncLifetime
{
    private const string Topology = """
        admin: {address: "127.0.0.1:0", auth: {tokens_env: [ADMIN_TOKEN]}}
        sources:
          gen: {type: generator, count: 1}
        sinks:
          out: {type: blackhole, inputs: [gen]}
        """;

    private static readonly string AdminToken = System.Security.Cryptography.RandomNumberGenerator.GetHexString(64, lowercase: true);

    private static readonly Dictionary<string, string> Environment = new() { ["ADMIN_TOKEN"] = AdminToken };

    private readonly LogEventLevel _levelBefore = LoggingSetup.LevelSwitch.MinimumLevel;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private RunningTopology _topology = null!;
    private AdminServer _admin = null!;

    public async ValueTask InitializeAsync()
    {
        var config = ConfigLoader.LoadYaml(Topology, "admin.yaml", BuiltInComponents.Create(), Environment);
        var metrics = new PipelineMetrics(Metrics.NewCustomRegistry());
        _topology = RunningTopology.Build(config, metrics, Serilog.Core.Logger.None);
        _admin = await AdminServer.StartAsync(config.Admin, _topology, metrics, Serilog.Core.Logger.None, TestContext.Current.CancellationToken, Environment.GetValueOrDefault);
        _http.BaseAddress = new Uri(_admin.Addresses.Single());
        _http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminToken);
    }

    public async ValueTask DisposeAsync()
    {
        LoggingSetup.LevelSwitch.MinimumLevel = _levelBefore;
        _http.Dispose();
        await _admin.DisposeAsync();
        await _topology.DisposeAsync();
    }

    [Fact]
    public async Task Get_answers_the_current_level()
    {
        LoggingSetup.LevelSwitch.MinimumLevel = LogEventLevel.Warning;

        var answer = await _http.GetFromJsonAsync<JsonElement>("/loglevel", TestContext.Current.CancellationToken);

        Assert.Equal("warning", answer.GetProperty("level").GetString());
    }

    [Theory]
    [InlineData("/loglevel?level=debug", "", LogEventLevel.Debug)]
    [InlineData("/loglevel", "error", LogEventLevel.Error)]
    [InlineData("/loglevel", "  Verbose\n", LogEventLevel.Verbose)]
    [InlineData("/loglevel", """{"level":"warn"}""", LogEventLevel.Warning)]
    public async Task Put_changes_the_level_from_the_query_or_the_body(string path, string body, LogEventLevel expected)
    {
        LoggingSetup.LevelSwitch.MinimumLevel = LogEventLevel.Information;

        using var response = await _http.PutAsync(path, new StringContent(body, Encoding.UTF8, "text/plain"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, LoggingSetup.LevelSwitch.MinimumLevel);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal("information", answer.GetProperty("previous").GetString());
        var current = await _http.GetFromJsonAsync<JsonElement>("/loglevel", TestContext.Current.CancellationToken);
        Assert.Equal(answer.GetProperty("level").GetString(), current.GetProperty("level").GetString());
    }

    [Fact]
    public async Task Put_of_an_unknown_level_is_a_400_listing_the_valid_ones_and_changes_nothing()
    {
        LoggingSetup.LevelSwitch.MinimumLevel = LogEventLevel.Information;

        using var response = await _http.PutAsync("/loglevel?level=loud", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(
            "unknown log level 'loud': expected one of verbose, debug, information, warning, error, fatal (or trace, info, warn)",
            answer.GetProperty("error").GetString());
        Assert.Equal(["verbose", "debug", "information", "warning", "error", "fatal"], answer.GetProperty("valid").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(LogEventLevel.Information, LoggingSetup.LevelSwitch.MinimumLevel);
    }

    [Fact]
    public async Task Put_without_the_admin_token_is_refused_401_and_changes_nothing()
    {
        LoggingSetup.LevelSwitch.MinimumLevel = LogEventLevel.Information;
        using var anonymous = new HttpClient { BaseAddress = _http.BaseAddress };

        using var response = await anonymous.PutAsync("/loglevel?level=verbose", null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer realm=\"pipeline\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Equal(LogEventLevel.Information, LoggingSetup.LevelSwitch.MinimumLevel);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/loglevel", TestContext.Current.CancellationToken)).StatusCode);
    }

    [Theory]
    [InlineData(LogEventLevel.Information, LogEventLevel.Debug)]
    [InlineData(LogEventLevel.Information, LogEventLevel.Error)]
    [InlineData(LogEventLevel.Error, LogEventLevel.Verbose)]
    public void A_level_change_is_recorded_in_one_line_whichever_way_it_goes(LogEventLevel from, LogEventLevel to)
    {
        LoggingSetup.LevelSwitch.MinimumLevel = from;
        var lines = new Runtime.CapturedLog();
        using var logger = new LoggerConfiguration().MinimumLevel.ControlledBy(LoggingSetup.LevelSwitch).WriteTo.Sink(lines).CreateLogger();

        var previous = LoggingSetup.ChangeLevel(to, logger, "a test");

        Assert.Equal(from, previous);
        Assert.Equal(to, LoggingSetup.LevelSwitch.MinimumLevel);
        var line = Assert.Single(lines.Events);
        Assert.Equal($"Log level changed from \"{from.ToString().ToLowerInvariant()}\" to \"{to.ToString().ToLowerInvariant()}\" by \"a test\"", line.RenderMessage());
    }

    [Fact]
    public void Sighup_reload_applies_the_level_the_config_file_says_now()
    {
        var (file, lines) = ReloadFrom("{level: error}");

        Assert.Equal(LogEventLevel.Error, LoggingSetup.LevelSwitch.MinimumLevel);
        Assert.Contains("by \"SIGHUP (reloaded from " + file, Assert.Single(lines.Events).RenderMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void Sighup_reload_of_a_file_that_no_longer_loads_keeps_the_level_and_says_why()
    {
        var (file, lines) = ReloadFrom("{level: loud}");

        Assert.Equal(LogEventLevel.Debug, LoggingSetup.LevelSwitch.MinimumLevel);
        var warning = Assert.Single(lines.Events);
        Assert.Equal(LogEventLevel.Warning, warning.Level);
        Assert.Contains("found 'loud'", warning.RenderMessage(), StringComparison.Ordinal);
    }

    /// <summary>Writes a config whose telemetry.logs is <paramref name="logs"/>, starts from Debug, and runs the SIGHUP reload.</summary>
    private static (string File, Runtime.CapturedLog Lines) ReloadFrom(string logs)
    {
        var file = Path.Combine(Path.GetTempPath(), $"pipeline-sighup-{Guid.NewGuid():N}.yaml");
        // SIGHUP re-reads the file under the process's environment, which holds no admin token.
        File.WriteAllText(file, $"telemetry:\n  logs: {logs}\n" + Topology.Replace(", auth: {tokens_env: [ADMIN_TOKEN]}", "", StringComparison.Ordinal));
        LoggingSetup.LevelSwitch.MinimumLevel = LogEventLevel.Debug;
        var lines = new Runtime.CapturedLog();
        using var logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(lines).CreateLogger();
        try
        {
            ServiceHost.ReloadLogLevel(file, logger);
        }
        finally
        {
            File.Delete(file);
        }
        return (file, lines);
    }
}

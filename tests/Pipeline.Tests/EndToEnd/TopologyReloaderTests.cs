using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Pipeline.Config;
using Pipeline.Host;
using Pipeline.Security;
using Pipeline.Telemetry;
using Pipeline.Topology;

namespace Pipeline.Tests.EndToEnd;

/// <summary>
/// Reloading from the config file through the real loader: what is applied, what is rejected and why, the counters,
/// and <c>POST /reload</c> behind the admin token.
/// </summary>
public sealed class TopologyReloaderTests : IAsyncDisposable
{
    private const string OneSink = """
        data_dir: {dir}
        sources:
          gen: {type: generator, rate: 500}
        sinks:
          a: {type: file, path: "{dir}/a.jsonl", inputs: [gen]}
        """;

    private const string TwoSinks = """
        data_dir: {dir}
        sources:
          gen: {type: generator, rate: 500}
        sinks:
          a: {type: file, path: "{dir}/a.jsonl", inputs: [gen]}
          b: {type: file, path: "{dir}/b.jsonl", inputs: [gen]}
        """;

    private static readonly string Token = RandomNumberGenerator.GetHexString(64, lowercase: true);

    private readonly EndToEndHarness _harness = new();
    private readonly Dictionary<string, string> _environment = new(StringComparer.Ordinal);
    private RunningTopology? _topology;
    private TopologyReloader? _reloader;
    private AdminServer? _admin;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string ConfigFile => _harness.PathOf("pipeline.yaml");

    public async ValueTask DisposeAsync()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }
        _reloader?.Dispose();
        if (_topology is not null)
        {
            await _topology.DisposeAsync();
        }
        _harness.Dispose();
    }

    [Fact]
    public async Task An_added_sink_is_applied_and_the_answer_lists_the_diff()
    {
        var reloader = await StartAsync(OneSink);

        Write(TwoSinks);
        var answer = await reloader.ReloadAsync("test").WaitAsync(EndToEndHarness.HangGuard, Ct);
        await UntilAsync(() => LineCount("b.jsonl") > 0);

        Assert.Equal(ReloadAnswer.AppliedResult, answer.Result);
        Assert.Equal(["b"], answer.Added);
        Assert.Equal(["gen", "a"], answer.Unchanged);
        Assert.Empty(answer.Removed);
        Assert.Empty(answer.Changed);
        Assert.Equal(1, Reloads.Count(ReloadInstruments.Applied));
        Assert.Equal(["gen", "a", "b"], _topology!.Snapshot().Nodes.Select(n => n.Id));
    }

    [Fact]
    public async Task A_config_with_errors_is_rejected_with_them_and_the_old_topology_keeps_delivering()
    {
        var reloader = await StartAsync(OneSink);

        Write(OneSink.Replace("type: file", "type: fiel", StringComparison.Ordinal));
        var answer = await reloader.ReloadAsync("test").WaitAsync(EndToEndHarness.HangGuard, Ct);
        var linesThen = LineCount("a.jsonl");
        await UntilAsync(() => LineCount("a.jsonl") > linesThen + 10);

        Assert.Equal(ReloadAnswer.RejectedResult, answer.Result);
        var error = Assert.Single(answer.Errors);
        Assert.Contains("pipeline.yaml:5:", error, StringComparison.Ordinal);
        Assert.Contains("did you mean 'file'", error, StringComparison.Ordinal);
        Assert.Equal(1, Reloads.Count(ReloadInstruments.Rejected));
        Assert.True(_topology!.IsReady);
    }

    [Fact]
    public async Task A_changed_start_up_setting_is_rejected_naming_the_key_and_saying_restart_to_apply()
    {
        var reloader = await StartAsync(OneSink);

        Write("name: renamed\n" + TwoSinks);
        var answer = await reloader.ReloadAsync("test").WaitAsync(EndToEndHarness.HangGuard, Ct);

        Assert.Equal(ReloadAnswer.RejectedResult, answer.Result);
        var error = Assert.Single(answer.Errors);
        Assert.Contains("'name' changed", error, StringComparison.Ordinal);
        Assert.Contains("restart to apply", error, StringComparison.Ordinal);
        Assert.Equal(["gen", "a"], _topology!.Snapshot().Nodes.Select(n => n.Id));
    }

    [Fact]
    public async Task A_component_is_changed_when_a_variable_it_interpolates_changes_value_and_unchanged_otherwise()
    {
        const string Interpolated = """
            data_dir: {dir}
            sources:
              gen: {type: generator, rate: "${RATE}"}
            sinks:
              a: {type: file, path: "{dir}/a.jsonl", inputs: [gen]}
            """;
        _environment["RATE"] = "500";
        var reloader = await StartAsync(Interpolated);

        var same = await reloader.ReloadAsync("test").WaitAsync(EndToEndHarness.HangGuard, Ct);
        _environment["RATE"] = "400";
        var changed = await reloader.ReloadAsync("test").WaitAsync(EndToEndHarness.HangGuard, Ct);

        Assert.Equal(ReloadAnswer.UnchangedResult, same.Result);
        Assert.Equal(ReloadAnswer.AppliedResult, changed.Result);
        Assert.Equal(["gen"], changed.Changed);
        Assert.Equal(["a"], changed.Unchanged);
        Assert.Equal(1, Reloads.Count(ReloadInstruments.Unchanged));
    }

    [Fact]
    public async Task Post_reload_needs_the_admin_token_and_answers_the_diff_or_the_errors()
    {
        var reloader = await StartAsync(OneSink);
        _admin = await AdminServer.StartAsync(
            new AdminSettings { Address = "127.0.0.1:0", Auth = new AuthSettings { TokensEnv = ["ADMIN_TOKEN"] } },
            _topology!, _harness.Metrics, _harness.Logger, Ct, name => name == "ADMIN_TOKEN" ? Token : null, reloader);
        using var http = new HttpClient { BaseAddress = new Uri(_admin.Addresses.Single()), Timeout = EndToEndHarness.HangGuard };
        Write(TwoSinks);

        using var refused = await http.PostAsync("/reload", null, Ct);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var applied = await http.PostAsync("/reload", null, Ct);
        Write("sources: {}\n");
        using var rejected = await http.PostAsync("/reload", null, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(1, Reloads.Count(ReloadInstruments.Applied));
        Assert.Equal(HttpStatusCode.OK, applied.StatusCode);
        using var diff = JsonDocument.Parse(await applied.Content.ReadAsStringAsync(Ct));
        Assert.Equal("applied", diff.RootElement.GetProperty("result").GetString());
        Assert.Equal(["b"], diff.RootElement.GetProperty("added").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal((HttpStatusCode)422, rejected.StatusCode);
        using var errors = JsonDocument.Parse(await rejected.Content.ReadAsStringAsync(Ct));
        Assert.NotEmpty(errors.RootElement.GetProperty("errors").EnumerateArray());
    }

    [Fact]
    public async Task A_changed_sink_with_a_disk_buffer_is_rejected_because_its_buffer_is_still_open()
    {
        const string Buffered = """
            data_dir: {dir}
            sources:
              gen: {type: generator, rate: 500}
            sinks:
              a: {type: file, path: "{dir}/PATH", inputs: [gen], buffer: {type: disk, max_size: 16MiB}}
            """;
        var reloader = await StartAsync(Buffered.Replace("PATH", "a.jsonl", StringComparison.Ordinal));

        Write(Buffered.Replace("PATH", "b.jsonl", StringComparison.Ordinal));
        var answer = await reloader.ReloadAsync("test").WaitAsync(EndToEndHarness.HangGuard, Ct);

        Assert.Equal(ReloadAnswer.RejectedResult, answer.Result);
        Assert.Contains("sink 'a' changed and has a disk buffer", Assert.Single(answer.Errors), StringComparison.Ordinal);
        Assert.True(_topology!.IsReady);
    }

    [Fact]
    public async Task A_reload_during_a_stop_is_refused_and_changes_nothing()
    {
        var reloader = await StartAsync(OneSink);
        Write(TwoSinks);

        var stopping = _topology!.StopAsync(EndToEndHarness.HangGuard);
        var answer = await reloader.ReloadAsync("test").WaitAsync(EndToEndHarness.HangGuard, Ct);
        await stopping.WaitAsync(EndToEndHarness.HangGuard, Ct);

        Assert.Equal(ReloadAnswer.StoppingResult, answer.Result);
        Assert.Equal(["gen", "a"], _topology.Snapshot().Nodes.Select(n => n.Id));
        Assert.Equal(0, Reloads.Count(ReloadInstruments.Applied));
    }

    [Fact]
    public async Task The_embedded_default_has_no_file_to_reload_and_says_so()
    {
        var config = ConfigLoader.LoadEmbeddedDefault(BuiltInComponents.Create(), _environment);
        _topology = RunningTopology.Build(config with { DataDirectory = _harness.Directory }, _harness.Metrics, _harness.Logger);
        _reloader = new TopologyReloader(_topology, BuiltInComponents.Create(), _harness.Metrics.ForReloads(config.Name), _harness.Logger, _environment);

        var answer = await _reloader.ReloadAsync("test").WaitAsync(EndToEndHarness.HangGuard, Ct);

        Assert.Equal(ReloadAnswer.NoFileResult, answer.Result);
        Assert.Contains("--config", Assert.Single(answer.Errors), StringComparison.Ordinal);
    }

    private ReloadInstruments Reloads => _harness.Metrics.ForReloads("pipeline");

    private async Task<TopologyReloader> StartAsync(string yaml)
    {
        Write(yaml);
        var config = ConfigLoader.LoadFile(ConfigFile, BuiltInComponents.Create(), _environment);
        _topology = _harness.Build(config);
        await _topology.StartAsync(Ct);
        _reloader = new TopologyReloader(_topology, BuiltInComponents.Create(), _harness.Metrics.ForReloads(config.Name), _harness.Logger, _environment);
        return _reloader;
    }

    private void Write(string yaml) => File.WriteAllText(ConfigFile, yaml.Replace("{dir}", _harness.Directory, StringComparison.Ordinal));

    private long LineCount(string file)
    {
        var path = _harness.PathOf(file);
        if (!File.Exists(path))
        {
            return 0;
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        long lines = 0;
        while (reader.ReadLine() is not null)
        {
            lines++;
        }
        return lines;
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        using var guard = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        guard.CancelAfter(EndToEndHarness.HangGuard);
        while (!condition())
        {
            await Task.Delay(10, guard.Token);
        }
    }
}

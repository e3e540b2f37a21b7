using System.Security.Cryptography;
using Pipeline.Security;
using Pipeline.Host;
using Pipeline.Tests.EndToEnd;
using Pipeline.Topology;

namespace Pipeline.Tests.Inspect;

/// <summary>pipeline tap and pipeline top, run in-process against a running topology with its admin port on port 0.</summary>
public sealed class InspectCliTests : IAsyncDisposable
{
    private const string Yaml = """
        name: inspect-cli
        data_dir: {dir}
        sources:
          gen: { type: generator, rate: 2000, seed: 11 }
        stages:
          keep: { type: filter, inputs: [gen], condition: '.status < 600' }
        sinks:
          out: { type: blackhole, inputs: [keep] }
        """;

    private static readonly string Token = RandomNumberGenerator.GetHexString(64, lowercase: true);

    private readonly EndToEndHarness _harness = new();
    private readonly RunningTopology _topology;
    private AdminServer? _admin;

    public InspectCliTests() => _topology = _harness.Build(_harness.Load(Yaml));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }
        await _topology.DisposeAsync();
        _harness.Dispose();
    }

    [Fact]
    public async Task Tap_prints_the_events_as_json_lines_and_exits_0_at_the_limit()
    {
        var address = await StartAsync(new AdminSettings { Address = "127.0.0.1:0" });

        var (code, stdout, stderr) = await RunAsync("tap", "keep", "--limit", "3", "--admin-address", address);

        Assert.Equal(0, code);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("""{"component":"keep","trace_id":""", l, StringComparison.Ordinal));
        Assert.Equal("tap ended, the limit was reached: 3 events, 0 dropped\n", stderr);
    }

    [Fact]
    public async Task Tap_exits_1_with_one_line_when_nothing_answers()
    {
        var port = EndToEndHarness.FreePort();

        var (code, stdout, stderr) = await RunAsync("tap", "keep", "--admin-address", $"127.0.0.1:{port}");

        Assert.Equal(1, code);
        Assert.Empty(stdout);
        Assert.StartsWith($"error: nothing answers at http://127.0.0.1:{port}/: is the pipeline running? pass --admin-address", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Tap_of_an_unknown_component_exits_1_with_the_servers_message()
    {
        var address = await StartAsync(new AdminSettings { Address = "127.0.0.1:0" });

        var (code, _, stderr) = await RunAsync("tap", "kep", "--admin-address", address);

        Assert.Equal(1, code);
        Assert.Equal("error: 404 Not Found: nothing to tap named 'kep' (did you mean 'keep'?); can be tapped: gen, keep\n", stderr);
    }

    [Fact]
    public async Task Tap_of_an_admin_with_auth_is_refused_without_the_token_and_streams_with_it()
    {
        var address = await StartAsync(new AdminSettings { Address = "127.0.0.1:0", Auth = new AuthSettings { TokensEnv = ["ADMIN_TOKEN"] } });

        var refused = await RunAsync("tap", "gen", "--limit", "1", "--admin-address", address);
        var admitted = await RunAsync("tap", "gen", "--limit", "1", "--admin-address", address, "--token", Token);

        Assert.Equal(1, refused.Code);
        Assert.StartsWith("error: refused (401): pass --token or set PIPELINE_ADMIN_TOKEN", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, admitted.Code);
        Assert.Single(admitted.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Top_once_lists_every_component_with_a_non_zero_rate_once_events_flowed()
    {
        var address = await StartAsync(new AdminSettings { Address = "127.0.0.1:0" });
        var deadline = DateTime.UtcNow + EndToEndHarness.HangGuard;
        string[][] rows;
        do
        {
            Assert.True(DateTime.UtcNow < deadline, "not every component showed a rate within the hang guard");
            var (code, stdout, stderr) = await RunAsync("top", "--once", "--admin-address", address);
            Assert.Equal(0, code);
            Assert.Empty(stderr);
            rows = [.. stdout.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(c => c.Length > 0 && c[0] is "gen" or "keep" or "out")];
        }
        while (rows.Length != 3 || rows.Any(r => r[3] == "0" && r[4] == "0"));

        Assert.Equal(["gen", "keep", "out"], rows.Select(r => r[0]));
        Assert.Equal(["source", "stage", "sink"], rows.Select(r => r[1]));
        Assert.All(rows, r => Assert.Equal("running", r[^1]));
    }

    [Fact]
    public async Task Tap_finds_the_admin_port_in_the_topology_file_given_with_config()
    {
        var address = await StartAsync(new AdminSettings { Address = "127.0.0.1:0" });
        var port = new Uri(address).Port;
        var file = Path.Combine(_harness.Directory, "running.yaml");
        // As deployed: listening on every interface, which a tap on the same host reaches on loopback.
        await File.WriteAllTextAsync(file, Yaml.Replace("{dir}", _harness.Directory, StringComparison.Ordinal) + $"\nadmin: {{ address: \"0.0.0.0:{port}\" }}\n", Ct);

        var (code, stdout, stderr) = await RunAsync(NoEnvironment, "tap", "keep", "--limit", "1", "--config", file);

        Assert.Equal("tap ended, the limit was reached: 1 event, 0 dropped\n", stderr);
        Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(0, code);
    }

    [Fact]
    public async Task Top_with_a_config_that_does_not_load_exits_78_with_its_errors()
    {
        var file = Path.Combine(_harness.Directory, "broken.yaml");
        await File.WriteAllTextAsync(file, "sources:\n  gen: { type: generatr }\n", Ct);

        var (code, _, stderr) = await RunAsync(NoEnvironment, "top", "--once", "--config", file);

        Assert.Contains($"{file}:2:16: error: source 'gen': unknown source type 'generatr'", stderr, StringComparison.Ordinal);
        Assert.Equal(78, code);
    }

    [Fact]
    public async Task Top_exits_1_with_one_line_when_nothing_answers()
    {
        var port = EndToEndHarness.FreePort();

        var (code, _, stderr) = await RunAsync("top", "--once", "--admin-address", $"127.0.0.1:{port}");

        Assert.Equal(1, code);
        Assert.StartsWith($"error: nothing answers at http://127.0.0.1:{port}/: is the pipeline running? pass --admin-address", stderr, StringComparison.Ordinal);
    }

    private async Task<string> StartAsync(AdminSettings settings)
    {
        _admin = await AdminServer.StartAsync(settings, _topology, _harness.Metrics, _harness.Logger, Ct, name => name == "ADMIN_TOKEN" ? Token : null);
        await _topology.StartAsync(Ct);
        return _admin.Addresses.Single();
    }

    private static string? NoEnvironment(string name) => null;

    private static Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args) => RunAsync(NoEnvironment, args);

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(Func<string, string?> environment, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await Cli.RunAsync(args, stdout, stderr, BuiltInComponents.Create(), Ct, environment).WaitAsync(EndToEndHarness.HangGuard, Ct);
        return (code, stdout.ToString().ReplaceLineEndings("\n"), stderr.ToString().ReplaceLineEndings("\n"));
    }
}

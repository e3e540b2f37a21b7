using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Security;
using Pipeline.Sinks;
using Pipeline.Sources.Http;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Deploy;

/// <summary>
/// examples/*.yaml, which README and docs point newcomers at: each must pass `pipeline validate` as shipped, and the
/// secure one must keep every secret in a file.
/// </summary>
public sealed class ExampleConfigTests
{
    private const string SecureExample = "secure-ingest.yaml";

    public static TheoryData<string> Examples =>
        [.. System.IO.Directory.GetFiles(RepositoryRoot.Combine("examples"), "*.yaml").Select(path => Path.GetFileName(path)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Examples))]
    public void Every_example_is_a_valid_topology(string example)
    {
        using var secrets = new StandInSecrets();

        var config = Load(example, secrets);

        Assert.NotEmpty(config.Sources);
        Assert.NotEmpty(config.Sinks);
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Every_example_passes_its_own_tests(string example)
    {
        using var secrets = new StandInSecrets();
        var config = Load(example, secrets);

        foreach (var test in config.Tests)
        {
            var failures = await Pipeline.Host.ConfigTests.ConfigTestRunner.RunAsync(config, test, TestContext.Current.CancellationToken);

            Assert.True(failures.Count == 0, $"{example}: test '{test.Name}' failed: {string.Join("; ", failures)}");
        }
    }

    [Fact]
    public void The_quickstart_example_shows_config_tests()
    {
        // A guard for the theory above, which passes for an example without tests.
        using var secrets = new StandInSecrets();

        Assert.NotEmpty(Load("quickstart.yaml", secrets).Tests);
    }

    [Fact]
    public void The_examples_include_the_secure_one()
    {
        // A guard for the theory above: it validates what it finds, and would pass with the directory empty.
        Assert.Contains(SecureExample, Examples.Select(row => row.Data));
    }

    [Fact]
    public void The_secure_example_serves_mutual_TLS_with_tokens_and_sends_over_mutual_TLS()
    {
        using var secrets = new StandInSecrets();

        var config = Load(SecureExample, secrets);

        var ingest = (HttpSourceConfig)Assert.Single(config.Sources).Options;
        Assert.NotNull(ingest.Tls?.CaFile);
        AssertTokensFromAFileOnly(ingest.Auth);
        Assert.NotNull(config.Admin.Tls?.CaFile);
        AssertTokensFromAFileOnly(config.Admin.Auth);
        var backend = (HttpSinkConfig)Assert.Single(config.Sinks).Options;
        Assert.StartsWith("https://", backend.Uri, StringComparison.Ordinal);
        Assert.NotNull(backend.Tls);
        Assert.All(new[] { backend.Tls.CaFile, backend.Tls.CertFile, backend.Tls.KeyFile }, Assert.NotNull);
        Assert.True(backend.Tls.VerifyCertificate && backend.Tls.VerifyHostname);
        Assert.Empty(backend.Headers);
    }

    [Fact]
    public void Without_its_files_the_secure_example_fails_validation_naming_them()
    {
        // The defaults point at /etc/pipeline, which this machine does not have: validate must say so, not pass.
        var error = Assert.Throws<ConfigException>(() =>
            ConfigLoader.LoadFile(RepositoryRoot.Combine("examples", SecureExample), BuiltInComponents.Create(), new Dictionary<string, string>()));

        // The first missing file of each block that reads files: the servers' certificate, the backend's CA.
        Assert.Contains("/etc/pipeline/tls/tls.crt", error.Message, StringComparison.Ordinal);
        Assert.Contains("/etc/pipeline/backend-ca.crt", error.Message, StringComparison.Ordinal);
    }

    private static void AssertTokensFromAFileOnly(AuthSettings? auth)
    {
        Assert.NotNull(auth?.TokensFile);
        Assert.Empty(auth.TokensEnv);
    }

    /// <summary>Loads an example with the secure one's path variables pointed at stand-in files (the others ignore them).</summary>
    private static PipelineConfig Load(string example, StandInSecrets secrets)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PIPELINE_TLS_DIR"] = secrets.ServerTlsDirectory(),
            ["PIPELINE_INGEST_TOKENS_FILE"] = secrets.TokensFile("ingest-tokens"),
            ["PIPELINE_ADMIN_TOKENS_FILE"] = secrets.TokensFile("admin-tokens"),
            ["PIPELINE_CLIENT_TLS_DIR"] = secrets.ClientTlsDirectory(),
            ["PIPELINE_BACKEND_CA_FILE"] = Path.Combine(secrets.ServerTlsDirectory(), "ca.crt"),
        };
        return ConfigLoader.LoadFile(RepositoryRoot.Combine("examples", example), BuiltInComponents.Create(), environment);
    }
}

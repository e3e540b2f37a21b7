using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Pipeline.Components;
using Pipeline.Security;
using Pipeline.Sources.Http;
using Pipeline.Tests.Io;
using Prometheus;

namespace Pipeline.Tests.Security;

/// <summary>The http source's auth and tls, over real sockets on 127.0.0.1 with certificates the test makes.</summary>
public sealed class IngestSecurityTests : IDisposable
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    private readonly TestCertificates _ca = TestCertificates.CreateAuthority();
    private readonly string _token = NewToken();
    private readonly string _tokensFile;
    private readonly FakeSourceContext _context = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task? _run;

    public IngestSecurityTests()
    {
        _tokensFile = Path.Combine(_ca.Directory, "tokens");
        File.WriteAllText(_tokensFile, $"# ingest tokens\n{_token}\n");
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _stopping.Cancel();
        _run?.Wait(HangGuard, CancellationToken.None);
        _stopping.Dispose();
        _ca.Dispose();
    }

    [Fact]
    public async Task Without_a_token_the_answer_is_401_with_WWW_Authenticate_and_nothing_is_accepted()
    {
        using var http = new HttpClient { BaseAddress = await StartAsync(new HttpSourceConfig { Address = "127.0.0.1:0", Auth = BearerAuth() }) };

        using var response = await http.PostAsync("/v1/events", Ndjson("{\"n\":1}"), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer realm=\"pipeline\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Empty(_context.Sent);
        Assert.Empty(_context.Invalid);
        Assert.Equal(1, AuthFailures("missing_credential"));
    }

    [Fact]
    public async Task A_token_from_the_file_is_accepted()
    {
        using var http = new HttpClient { BaseAddress = await StartAsync(new HttpSourceConfig { Address = "127.0.0.1:0", Auth = BearerAuth() }) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _token);

        using var response = await http.PostAsync("/v1/events", Ndjson("{\"n\":1}"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(_context.Sent);
    }

    [Fact]
    public async Task A_wrong_token_is_401_invalid_token_and_is_counted_without_itself_appearing_in_the_metrics()
    {
        using var http = new HttpClient { BaseAddress = await StartAsync(new HttpSourceConfig { Address = "127.0.0.1:0", Auth = BearerAuth() }) };
        var wrong = _token[..^1] + (_token[^1] == 'a' ? 'b' : 'a');
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", wrong);

        using var response = await http.PostAsync("/v1/events", Ndjson("{\"n\":1}"), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer realm=\"pipeline\", error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
        Assert.Empty(_context.Sent);
        Assert.Equal(1, AuthFailures("invalid_credential"));
        var exposition = await ScrapeAsync();
        Assert.DoesNotContain(wrong, exposition, StringComparison.Ordinal);
        Assert.DoesNotContain(_token, exposition, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_key_strategy_takes_the_token_from_its_header_and_tokens_from_the_environment()
    {
        var fromEnvironment = NewToken();
        var auth = new AuthSettings { Strategy = AuthStrategy.ApiKey, Header = "X-Pipeline-Key", TokensEnv = ["INGEST_TOKEN"] };
        var environment = new Dictionary<string, string> { ["INGEST_TOKEN"] = fromEnvironment };
        using var http = new HttpClient { BaseAddress = await StartAsync(new HttpSourceConfig { Address = "127.0.0.1:0", Auth = auth }, environment) };

        using var bearer = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = Ndjson("{\"n\":1}") };
        bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fromEnvironment);
        using var refused = await http.SendAsync(bearer, Ct);
        using var keyed = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = Ndjson("{\"n\":2}") };
        keyed.Headers.Add("X-Pipeline-Key", fromEnvironment);
        using var accepted = await http.SendAsync(keyed, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("ApiKey realm=\"pipeline\", header=\"X-Pipeline-Key\"", refused.Headers.WwwAuthenticate.ToString());
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Single(_context.Sent);
    }

    [Fact]
    public async Task A_rotated_tokens_file_takes_effect_without_a_restart()
    {
        using var http = new HttpClient { BaseAddress = await StartAsync(new HttpSourceConfig { Address = "127.0.0.1:0", Auth = BearerAuth() }) };
        var next = NewToken();

        // Step 1 of a rotation: both tokens. Step 2: only the new one.
        TestCertificates.Replace(_tokensFile, $"{_token}\n{next}\n");
        await WaitUntilAsync(async () => await PostWithAsync(http, next) == HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, await PostWithAsync(http, _token));
        TestCertificates.Replace(_tokensFile, next + "\n");
        await WaitUntilAsync(async () => await PostWithAsync(http, _token) == HttpStatusCode.Unauthorized);

        Assert.Equal(HttpStatusCode.OK, await PostWithAsync(http, next));
    }

    [Fact]
    public async Task A_tokens_file_that_no_longer_loads_keeps_the_tokens_it_had()
    {
        using var http = new HttpClient { BaseAddress = await StartAsync(new HttpSourceConfig { Address = "127.0.0.1:0", Auth = BearerAuth() }) };

        TestCertificates.Replace(_tokensFile, "too-short\n");
        await WaitUntilAsync(() => Task.FromResult(ReloadsFailed() >= 1));

        Assert.Equal(HttpStatusCode.OK, await PostWithAsync(http, _token));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostWithAsync(http, "too-short"));
    }

    [Fact]
    public async Task Tls_serves_the_configured_certificate()
    {
        var (certFile, keyFile, certificate) = _ca.IssueServer();
        var address = await StartAsync(new HttpSourceConfig { Address = "https://127.0.0.1:0", Tls = new ServerTlsSettings { CertFile = certFile, KeyFile = keyFile } });
        using var client = new SecureClient(address, _ca.Authority);

        using var response = await client.Http.PostAsync("/v1/events", Ndjson("{\"n\":1}"), Ct);

        Assert.Equal("https", address.Scheme);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(certificate.GetCertHashString(), client.PresentedThumbprint);
        Assert.Single(_context.Sent);
    }

    [Fact]
    public async Task Min_version_1_3_refuses_a_client_that_speaks_only_tls_1_2()
    {
        var (certFile, keyFile, _) = _ca.IssueServer();
        var address = await StartAsync(new HttpSourceConfig
        {
            Address = "127.0.0.1:0",
            Tls = new ServerTlsSettings { CertFile = certFile, KeyFile = keyFile, MinVersion = "1.3" },
        });
        using var modern = new SecureClient(address, _ca.Authority);
        using var dated = new SecureClient(address, _ca.Authority, protocols: System.Security.Authentication.SslProtocols.Tls12);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => dated.Http.PostAsync("/v1/events", Ndjson("{\"n\":1}"), Ct));
        using var response = await modern.Http.PostAsync("/v1/events", Ndjson("{\"n\":2}"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(_context.Sent);
    }

    [Fact]
    public async Task Mutual_tls_admits_only_clients_with_a_certificate_from_its_ca()
    {
        var (certFile, keyFile, _) = _ca.IssueServer();
        var (_, _, clientCertificate) = _ca.IssueClient();
        using var stranger = TestCertificates.CreateAuthority("Other CA");
        var (_, _, strangerCertificate) = stranger.IssueClient();
        var address = await StartAsync(new HttpSourceConfig
        {
            Address = "127.0.0.1:0",
            Tls = new ServerTlsSettings { CertFile = certFile, KeyFile = keyFile, CaFile = _ca.CaFile },
        });

        using var anonymous = new SecureClient(address, _ca.Authority);
        using var foreign = new SecureClient(address, _ca.Authority, strangerCertificate);
        using var trusted = new SecureClient(address, _ca.Authority, clientCertificate);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => anonymous.Http.PostAsync("/v1/events", Ndjson("{\"n\":1}"), Ct));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => foreign.Http.PostAsync("/v1/events", Ndjson("{\"n\":2}"), Ct));
        using var response = await trusted.Http.PostAsync("/v1/events", Ndjson("{\"n\":3}"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(_context.Sent);
        Assert.Equal(2, AuthFailures("client_certificate"));
    }

    [Fact]
    public async Task A_certificate_rotated_while_running_is_presented_to_new_connections()
    {
        var (certFile, keyFile, first) = _ca.IssueServer();
        var address = await StartAsync(new HttpSourceConfig { Address = "127.0.0.1:0", Tls = new ServerTlsSettings { CertFile = certFile, KeyFile = keyFile } });
        using (var before = new SecureClient(address, _ca.Authority))
        {
            Assert.Equal(HttpStatusCode.OK, (await before.Http.PostAsync("/v1/events", Ndjson("{\"n\":1}"), Ct)).StatusCode);
            Assert.Equal(first.GetCertHashString(), before.PresentedThumbprint);
        }

        // Same file names, as cert-manager renews a Secret.
        var (_, _, second) = _ca.IssueServer();
        string? presented = null;
        await WaitUntilAsync(async () =>
        {
            using var client = new SecureClient(address, _ca.Authority);
            using var response = await client.Http.PostAsync("/v1/events", Ndjson("{\"n\":2}"), Ct);
            presented = client.PresentedThumbprint;
            return presented == second.GetCertHashString();
        });

        Assert.NotEqual(first.GetCertHashString(), presented);
    }

    private static string NewToken() => RandomNumberGenerator.GetHexString(64, lowercase: true);

    private static StringContent Ndjson(string body) => new(body, Encoding.UTF8, "application/x-ndjson");

    private static async Task<HttpStatusCode> PostWithAsync(HttpClient http, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = Ndjson("{\"n\":1}") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request, Ct);
        return response.StatusCode;
    }

    /// <summary>Polls a condition the service reaches on its own (a file poll of one second) until it holds, or fails the test.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + HangGuard;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within the hang guard");
            await Task.Delay(50, Ct);
        }
    }

    private AuthSettings BearerAuth() => new() { TokensFile = _tokensFile };

    private async Task<Uri> StartAsync(HttpSourceConfig config, IReadOnlyDictionary<string, string>? environment = null)
    {
        var context = new ComponentContext("ingest", "test", Path.GetTempPath()) { Environment = name => environment?.GetValueOrDefault(name) };
        var source = (HttpSource)config.Build(context).Create();
        _run = source.RunAsync(_context, _stopping.Token);
        return Assert.Single(await source.Listening.WaitAsync(HangGuard, Ct));
    }

    private double AuthFailures(string reason) => Value("pipeline_auth_failures_total", $"reason=\"{reason}\"");

    private double ReloadsFailed() => Value("pipeline_credential_reloads_total", "result=\"failed\"");

    private double Value(string metric, string label)
    {
        var line = ScrapeAsync().GetAwaiter().GetResult().Split('\n')
            .FirstOrDefault(l => l.StartsWith(metric + "{", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<string> ScrapeAsync()
    {
        using var stream = new MemoryStream();
        await _context.PipelineMetrics.Registry.CollectAndExportAsTextAsync(stream, Ct);
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}

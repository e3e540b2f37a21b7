using System.Diagnostics;
using Pipeline.Config;

namespace Pipeline.Tests.Security;

/// <summary><c>validate</c> refuses every tls and auth setting that cannot work, at its line and column, and never echoes a token.</summary>
public sealed class SecurityConfigTests : IDisposable
{
    private readonly TestCertificates _ca = TestCertificates.CreateAuthority();

    public void Dispose() => _ca.Dispose();

    [Fact]
    public void An_https_source_address_without_tls_is_refused_at_the_address()
    {
        var error = Only("""
            sources:
              in: {type: http, address: "https://0.0.0.0:8443"}
            sinks:
              out: {type: blackhole, inputs: [in]}
            """);

        Assert.Equal((2, 20), (error.Mark.Line, error.Mark.Column));
        Assert.Contains("option 'address': an https:// address needs a tls block", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_https_admin_address_without_tls_is_refused_at_the_address_quickly()
    {
        var clock = Stopwatch.StartNew();
        var error = Only("""
            admin:
              address: https://0.0.0.0:9464
            sources:
              in: {type: stdin}
            sinks:
              out: {type: blackhole, inputs: [in]}
            """);

        Assert.Equal((2, 12), (error.Mark.Line, error.Mark.Column));
        Assert.StartsWith("'admin.address': an https:// address needs a tls block", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"validate took {clock.Elapsed}");
    }

    [Fact]
    public void A_missing_certificate_file_is_refused_at_cert_file()
    {
        var error = Only($"""
            sources:
              in:
                type: http
                tls:
                  cert_file: {_ca.Directory}/absent.crt
                  key_file: {_ca.Directory}/absent.key
            sinks:
              out: {"{type: blackhole, inputs: [in]}"}
            """);

        Assert.Equal((5, 18), (error.Mark.Line, error.Mark.Column));
        Assert.Contains("option 'tls.cert_file': cannot read '", error.Message, StringComparison.Ordinal);
        Assert.Contains("absent.crt': no such file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_that_is_not_the_certificates_is_refused_at_key_file()
    {
        var (certFile, _, _) = _ca.IssueServer("one");
        var (_, otherKey, _) = _ca.IssueServer("two");

        var error = Only($"""
            admin:
              address: 127.0.0.1:0
              tls: {"{"}cert_file: {certFile}, key_file: {otherKey}{"}"}
            sources:
              in: {"{type: stdin}"}
            sinks:
              out: {"{type: blackhole, inputs: [in]}"}
            """);

        Assert.Equal(3, error.Mark.Line);
        Assert.StartsWith("'admin.tls.key_file': '", error.Message, StringComparison.Ordinal);
        Assert.Contains("is not the private key of the certificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vector_spelling_of_a_tls_option_gets_a_suggestion()
    {
        var error = Errors("""
            sources:
              in:
                type: http
                tls: {crt_file: a.crt, key_file: a.key, cert_file: b.crt}
            sinks:
              out: {type: blackhole, inputs: [in]}
            """).Single(e => e.Message.Contains("crt_file", StringComparison.Ordinal));

        Assert.Equal((4, 11), (error.Mark.Line, error.Mark.Column));
        Assert.Contains("option 'tls.crt_file': unknown option", error.Message, StringComparison.Ordinal);
        Assert.Equal("cert_file", error.Suggestion);
    }

    [Fact]
    public void A_short_token_is_refused_by_its_line_number_and_never_quoted()
    {
        var tokens = Path.Combine(_ca.Directory, "tokens");
        File.WriteAllText(tokens, "# comment\n\nhunter2-short-secret\n");

        var error = Only($"""
            sources:
              in:
                type: http
                auth: {"{"}tokens_file: {tokens}{"}"}
            sinks:
              out: {"{type: blackhole, inputs: [in]}"}
            """);

        Assert.Contains("option 'auth.tokens_file': the token on line 3 of '", error.Message, StringComparison.Ordinal);
        Assert.Contains("has 20 characters: expected at least 32", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unset_token_variable_and_an_auth_block_without_tokens_are_refused()
    {
        var errors = Errors("""
            admin:
              auth: {tokens_env: [ADMIN_TOKEN]}
            sources:
              in: {type: http, auth: {strategy: api_key}}
            sinks:
              out: {type: blackhole, inputs: [in]}
            """);

        Assert.Contains(errors, e => e.Message == "'admin.auth.tokens_env': expected the environment variable ADMIN_TOKEN to hold a token, found it unset or empty");
        Assert.Contains(errors, e => e.Message.EndsWith("option 'auth': expected tokens_file or tokens_env (where the accepted tokens come from), found neither", StringComparison.Ordinal)
            && e.Mark.Line == 4);
    }

    [Fact]
    public void A_wrong_tls_block_does_not_hide_a_wrong_auth_block()
    {
        var errors = Errors($"""
            admin:
              tls: {"{"}cert_file: {_ca.Directory}/a.crt, key_file: {_ca.Directory}/a.key{"}"}
              auth: {"{tokens_env: [ADMIN_TOKEN]}"}
            sources:
              in:
                type: http
                address: https://127.0.0.1:0
                tls: {"{"}cert_file: {_ca.Directory}/b.crt, key_file: {_ca.Directory}/b.key{"}"}
                auth: {"{tokens_file: /nonexistent/tokens}"}
            sinks:
              out: {"{type: blackhole, inputs: [in]}"}
            """);

        Assert.Equal(
            ["'admin.tls.cert_file'", "'admin.auth.tokens_env'", "option 'tls.cert_file'", "option 'auth.tokens_file'"],
            errors.Select(e => e.Message[(e.Message.StartsWith('\'') ? 0 : e.Message.IndexOf("option", StringComparison.Ordinal))..].Split(':')[0]));
    }

    [Fact]
    public void Protecting_the_read_only_endpoints_needs_an_auth_block()
    {
        var error = Only("""
            admin:
              protect_read_only: true
            sources:
              in: {type: stdin}
            sinks:
              out: {type: blackhole, inputs: [in]}
            """);

        Assert.Equal("'admin.protect_read_only': expected an auth block beside it (the tokens to require), found none", error.Message);
        Assert.Equal(2, error.Mark.Line);
    }

    [Fact]
    public void A_complete_secure_config_loads()
    {
        var (certFile, keyFile, _) = _ca.IssueServer();
        var token = System.Security.Cryptography.RandomNumberGenerator.GetHexString(64, lowercase: true);

        var config = ConfigLoader.LoadYaml($"""
            admin:
              address: https://127.0.0.1:0
              tls: {"{"}cert_file: {certFile}, key_file: {keyFile}, min_version: "1.3"{"}"}
              auth: {"{tokens_env: [ADMIN_TOKEN]}"}
              protect_read_only: true
            sources:
              in:
                type: http
                address: 127.0.0.1:0
                tls: {"{"}cert_file: {certFile}, key_file: {keyFile}, ca_file: {_ca.CaFile}{"}"}
                auth: {"{strategy: api_key, tokens_env: [ADMIN_TOKEN]}"}
            sinks:
              out: {"{type: blackhole, inputs: [in]}"}
            """, "secure.yaml", BuiltInComponents.Create(), new Dictionary<string, string> { ["ADMIN_TOKEN"] = token });

        Assert.Equal("1.3", config.Admin.Tls!.MinVersion);
        Assert.True(config.Admin.ProtectReadOnly);
        Assert.Equal(["ADMIN_TOKEN"], config.Admin.Auth!.TokensEnv);
    }

    private static ConfigError Only(string yaml)
    {
        var errors = Errors(yaml);
        Assert.True(errors.Count == 1, $"expected exactly one error, found {errors.Count}:\n{string.Join("\n", errors)}");
        return errors[0];
    }

    private static IReadOnlyList<ConfigError> Errors(string yaml)
        => Assert.Throws<ConfigException>(() => ConfigLoader.LoadYaml(yaml, "test.yaml", BuiltInComponents.Create(), new Dictionary<string, string>())).Errors;
}

using Pipeline.Host;

namespace Pipeline.Tests.Config;

/// <summary><c>pipeline test</c>: the config's own tests run, pass, fail with positions, and exit codes for CI.</summary>
public sealed class ConfigUnitTestTests : IDisposable
{
    private const string Topology = """
        sources:
          in: { type: stdin }
        stages:
          parse:
            type: parse_json
            inputs: [in]
            field: .line
            target: .
          keep:
            type: filter
            inputs: [parse]
            condition: '.level == "error"'
          by_team:
            type: route
            inputs: [keep]
            routes:
              payments: '.team == "payments"'
          tidy:
            type: remap
            inputs: [by_team.payments]
            set: { .summary: "{{ .team }}: {{ .message }}" }
        sinks:
          out: { type: blackhole, inputs: [tidy, by_team._unmatched] }

        """;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"pipeline-config-tests-{Guid.NewGuid():N}");

    public ConfigUnitTestTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string yaml)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exitCode = await Cli.RunAsync(args, stdout, stderr, BuiltInComponents.Create(), TestContext.Current.CancellationToken)
            .WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        return (exitCode, stdout.ToString().ReplaceLineEndings("\n"), stderr.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Passing_tests_follow_events_through_chained_stages_and_named_outputs_and_exit_0()
    {
        var path = Write("topology.yaml", Topology + """
            tests:
              - name: payments errors are summarised
                inputs:
                  - insert_at: parse
                    event: { line: '{"level":"error","team":"payments","message":"card declined","code":402}' }
                outputs:
                  - extract_from: tidy
                    count: 1
                    conditions:
                      - '.code == 402'
                      - { field: .summary, equals: "payments: card declined" }
                      - { field: .line, exists: true }
                      - { field: .message, matches: "^card" }
                      - { field: .summary, contains: "declined" }
                no_outputs_from: [by_team._unmatched]
              - name: other teams go to unmatched, info is dropped
                inputs:
                  - insert_at: keep
                    events:
                      - { level: error, team: search }
                      - { level: info, team: payments }
                outputs:
                  - extract_from: by_team._unmatched
                    count: 1
                    conditions: [ { field: .team, equals: search } ]
                no_outputs_from: [by_team.payments]
            """);

        var (exitCode, stdout, stderr) = await Run("test", "--config", path);

        Assert.Equal("", stderr);
        Assert.Equal("""
            test payments errors are summarised ... passed
            test other teams go to unmatched, info is dropped ... passed
            2 tests: 2 passed, 0 failed

            """, stdout);
        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task A_route_stage_with_only_named_outputs_takes_events_inserted_at_it()
    {
        var path = Write("topology.yaml", Topology + """
            tests:
              - name: routed straight in
                inputs:
                  - insert_at: by_team
                    event: { team: payments, message: refund }
                outputs:
                  - extract_from: by_team.payments
                    count: 1
            """);

        var (exitCode, stdout, stderr) = await Run("test", "--config", path);

        Assert.Equal("", stderr);
        Assert.Contains("1 test: 1 passed, 0 failed", stdout, StringComparison.Ordinal);
        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task A_failing_assertion_is_reported_at_its_line_and_column_with_expected_and_found_and_exits_1()
    {
        var path = Write("topology.yaml", Topology + """
            tests:
              - name: wrong expectations
                inputs:
                  - insert_at: keep
                    events:
                      - { level: error, team: payments, message: timeout }
                      - { level: error, team: search }
                outputs:
                  - extract_from: tidy
                    count: 2
                    conditions:
                      - { field: .summary, equals: "payments: refused" }
                no_outputs_from: [by_team._unmatched]
            """);

        var (exitCode, stdout, _) = await Run("test", "--config", path);

        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("test wrong expectations ... FAILED", lines[0]);
        Assert.Equal($"  {path}:33:16: expected 2 events from tidy, found 1", lines[1]);
        Assert.Equal(
            $"  {path}:35:13: expected .summary to equal \"payments: refused\", found \"payments: timeout\" (event 1 of 1 from tidy: " +
            """{"level":"error","team":"payments","message":"timeout","summary":"payments: timeout"})""",
            lines[2]);
        Assert.Equal($"  {path}:36:23: expected no events from by_team._unmatched, found 1 (the first: {{\"level\":\"error\",\"team\":\"search\"}})", lines[3]);
        Assert.Equal("1 test: 0 passed, 1 failed", lines[4]);
        Assert.Equal(1, exitCode);
    }

    [Fact]
    public async Task An_event_a_stage_fails_is_a_test_failure_with_the_reason_unless_the_test_expects_it()
    {
        var path = Write("topology.yaml", Topology + """
            tests:
              - name: unexpected failure
                inputs:
                  - insert_at: parse
                    event: { line: "not json" }
                no_outputs_from: [keep]
              - name: expected failure
                inputs:
                  - insert_at: parse
                    event: { line: "not json" }
                no_outputs_from: [keep]
                dead_lettered: 1
            """);

        var (exitCode, stdout, _) = await Run("test", "--config", path);

        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("test unexpected failure ... FAILED", lines[0]);
        Assert.StartsWith($"  {path}:25:5: expected 0 events to fail in a stage (dead_lettered), found 1: stage 'parse' failed an event: ", lines[1]);
        Assert.Equal("test expected failure ... passed", lines[2]);
        Assert.Equal(1, exitCode);
    }

    [Fact]
    public async Task Mistakes_in_tests_are_configuration_errors_at_their_positions_with_suggestions()
    {
        var path = Write("topology.yaml", Topology + """
            tests:
              - name: mistakes
                inptus: []
                inputs:
                  - insert_at: kepe
                    event: { level: error }
                  - insert_at: in
                    event: { level: error }
                outputs:
                  - extract_from: by_team.payment
                    conditions:
                      - '.level === "error"'
                      - { field: .level, equals: error, exists: true }
            """);

        var (exitCode, stdout, stderr) = await Run("test", "--config", path);

        Assert.Equal("", stdout);
        // A condition's error continues on lines of its own (the expression, a caret under the mistake).
        var errors = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => line.StartsWith(path, StringComparison.Ordinal)).ToList();
        Assert.Equal($"{path}:26:5: error: a test: unknown key 'inptus' (expected one of name, inputs, outputs, no_outputs_from, dead_lettered) (did you mean 'inputs'?)", errors[0]);
        Assert.Equal($"{path}:28:20: error: 'insert_at': no stage 'kepe' (expected one of parse, keep, by_team, tidy) (did you mean 'keep'?)", errors[1]);
        Assert.Equal($"{path}:30:20: error: 'insert_at': 'in' is a source, but tests run stages only: insert events at the stage it feeds, or extract them from the stage that feeds it", errors[2]);
        Assert.Equal($"{path}:33:23: error: 'extract_from': stage 'by_team' has no output 'payment' (expected one of payments, _unmatched) (did you mean 'payments'?)", errors[3]);
        Assert.StartsWith($"{path}:35:", errors[4]);
        Assert.Equal($"{path}:36:13: error: a condition on .level: expected exactly one of equals, exists, matches or contains, found 2", errors[5]);
        Assert.Equal(78, exitCode);
    }

    [Fact]
    public async Task Tests_in_a_side_file_run_against_the_topology()
    {
        var topology = Write("topology.yaml", Topology);
        var tests = Write("topology.tests.yaml", """
            tests:
              - name: errors pass the filter
                inputs: [ { insert_at: keep, event: { level: error, team: payments, message: x } } ]
                outputs: [ { extract_from: tidy, count: 1 } ]
            """);

        var (exitCode, stdout, stderr) = await Run("test", "--config", topology, "--tests", tests);

        Assert.Equal("", stderr);
        Assert.Equal("test errors pass the filter ... passed\n1 test: 1 passed, 0 failed\n", stdout);
        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task A_topology_without_tests_is_a_configuration_error_so_CI_cannot_pass_by_testing_nothing()
    {
        var path = Write("topology.yaml", Topology);

        var (exitCode, _, stderr) = await Run("test", "--config", path);

        Assert.Equal($"{path}: no tests to run: add 'tests:' to the topology or pass --tests FILE (docs/config-tests.md)\n", stderr);
        Assert.Equal(78, exitCode);
    }

    [Fact]
    public async Task Each_test_gets_fresh_stages_so_state_does_not_leak_between_tests()
    {
        // sample keeps the first of every 2 events it sees: a processor shared between the tests would drop n=3.
        var path = Write("topology.yaml", """
            sources:
              in: { type: stdin }
            stages:
              half: { type: sample, inputs: [in], rate: 2 }
            sinks:
              out: { type: blackhole, inputs: [half] }
            tests:
              - name: first
                inputs: [ { insert_at: half, event: { n: 1 } } ]
                outputs: [ { extract_from: half, count: 1 } ]
              - name: second
                inputs: [ { insert_at: half, event: { n: 3 } } ]
                outputs: [ { extract_from: half, count: 1 } ]
            """);

        var (exitCode, stdout, _) = await Run("test", "--config", path);

        Assert.Equal("test first ... passed\ntest second ... passed\n2 tests: 2 passed, 0 failed\n", stdout);
        Assert.Equal(0, exitCode);
    }
}

using System.CommandLine;
using Pipeline.Host.Commands;
using Pipeline.Config;
using Pipeline.Config.UnitTests;

namespace Pipeline.Host.ConfigTests;

/// <summary>
/// <c>pipeline test</c>: runs the <c>tests:</c> of a topology (and of side files), as <c>vector test</c> does, and
/// exits non-zero when one fails, so a config change can be checked in CI before it is deployed.
/// </summary>
internal static class TestCommand
{
    /// <summary>Exit code when a test failed; a config that does not load (or holds no test) is a configuration error.</summary>
    public const int TestsFailed = 1;

    public static Command Create(CliContext context)
    {
        var testFiles = new Option<string[]>("--tests", "-t")
        {
            Description = "A side file with only tests: for the topology (repeatable); its tests run after the topology's own.",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("test", "Run the config's unit tests (tests: events inserted at stages, assertions on what comes out). Exit 0 when all pass, 1 when one fails.")
        {
            testFiles,
        };
        var options = CliOptions.AddTo(command, adminAddress: false);
        command.SetAction((parse, ct) => RunAsync(parse, options, parse.GetValue(testFiles) ?? [], context, ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, CliOptions options, string[] testFiles, CliContext context, CancellationToken cancellationToken)
    {
        var stdout = parse.InvocationConfiguration.Output;
        var stderr = parse.InvocationConfiguration.Error;
        var loaded = options.Load(parse, context);
        if (loaded.Config is not { } topology)
        {
            loaded.WriteErrors(stderr);
            return ExitCodes.ConfigError;
        }
        var path = topology.File;
        var tests = new List<ConfigUnitTest>(topology.Tests);
        foreach (var file in testFiles)
        {
            if (Cli.TryLoad(parse, () => topology with { Tests = ConfigLoader.LoadTestsFile(file, topology) }) is not { } withFile)
            {
                return ExitCodes.ConfigError;
            }
            tests.AddRange(withFile.Tests);
        }
        if (tests.Count == 0)
        {
            await stderr.WriteLineAsync($"{path}: no tests to run: add 'tests:' to the topology or pass --tests FILE (docs/config-tests.md)").ConfigureAwait(false);
            return ExitCodes.ConfigError;
        }

        var failed = 0;
        foreach (var test in tests)
        {
            var failures = await ConfigTestRunner.RunAsync(topology, test, cancellationToken).ConfigureAwait(false);
            await stdout.WriteLineAsync($"test {test.Name} ... {(failures.Count == 0 ? "passed" : "FAILED")}").ConfigureAwait(false);
            foreach (var failure in failures)
            {
                await stdout.WriteLineAsync($"  {failure}").ConfigureAwait(false);
            }
            failed += failures.Count == 0 ? 0 : 1;
        }
        await stdout.WriteLineAsync($"{(tests.Count == 1 ? "1 test" : $"{tests.Count} tests")}: {tests.Count - failed} passed, {failed} failed").ConfigureAwait(false);
        return failed == 0 ? 0 : TestsFailed;
    }
}

using System.CommandLine;
using Pipeline.Components;
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

    public static Command Create(ComponentCatalog catalog)
    {
        var config = new Option<string>("--config", "-c")
        {
            Description = "The topology YAML file whose stages and tests: to run.",
            Required = true,
        };
        var testFiles = new Option<string[]>("--tests", "-t")
        {
            Description = "A side file with only tests: for the topology (repeatable); its tests run after the topology's own.",
            AllowMultipleArgumentsPerToken = true,
        };
        var command = new Command("test", "Run the config's unit tests (tests: events inserted at stages, assertions on what comes out). Exit 0 when all pass, 1 when one fails.")
        {
            config, testFiles,
        };
        command.SetAction((parse, ct) => RunAsync(parse, parse.GetRequiredValue(config), parse.GetValue(testFiles) ?? [], catalog, ct));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, string path, string[] testFiles, ComponentCatalog catalog, CancellationToken cancellationToken)
    {
        var stdout = parse.InvocationConfiguration.Output;
        var stderr = parse.InvocationConfiguration.Error;
        if (Cli.TryLoad(parse, () => ConfigLoader.LoadFile(path, catalog)) is not { } topology)
        {
            return Cli.ConfigurationError;
        }
        var tests = new List<ConfigUnitTest>(topology.Tests);
        foreach (var file in testFiles)
        {
            if (Cli.TryLoad(parse, () => topology with { Tests = ConfigLoader.LoadTestsFile(file, topology) }) is not { } withFile)
            {
                return Cli.ConfigurationError;
            }
            tests.AddRange(withFile.Tests);
        }
        if (tests.Count == 0)
        {
            await stderr.WriteLineAsync($"{path}: no tests to run: add 'tests:' to the topology or pass --tests FILE (docs/config-tests.md)").ConfigureAwait(false);
            return Cli.ConfigurationError;
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

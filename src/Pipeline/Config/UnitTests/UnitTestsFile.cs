using Pipeline.Components;

namespace Pipeline.Config.UnitTests;

/// <summary>
/// A side file of tests (a mapping with only <c>tests:</c>), kept apart from the topology as Vector allows, so the
/// deployed config carries no test fixtures.
/// </summary>
internal static class UnitTestsFile
{
    /// <exception cref="ConfigException">Every error in the file, each with file:line:col.</exception>
    public static IReadOnlyList<ConfigUnitTest> Load(string yaml, string file, PipelineConfig topology, IReadOnlyDictionary<string, string>? environment)
    {
        var errors = new List<ConfigError>();
        var root = ConfigYamlReader.Read(yaml, file, errors);
        var tests = new List<ConfigUnitTest>();
        if (root is null && errors.Count == 0)
        {
            errors.Add(new ConfigError(new SourceMark(file, 1, 1), "the tests file is empty (expected 'tests:' with a list of tests)"));
        }
        else if (root is not null and not ConfigMapping)
        {
            errors.Add(new ConfigError(root.Mark, $"expected a mapping with 'tests:', found {root.Describe()}"));
        }
        else if (root is ConfigMapping mapping)
        {
            EnvironmentInterpolator.InterpolateTree(mapping, environment ?? EnvironmentInterpolator.ProcessEnvironment(), errors);
            foreach (var (key, _) in mapping.Entries.Where(e => e.Key.Value != UnitTestsBinder.Key))
            {
                errors.Add(new ConfigError(key.Mark, $"unknown key '{key.Value}' in a tests file (expected only 'tests:'; the topology comes from --config)"));
            }
            if (!mapping.TryGet(UnitTestsBinder.Key, out _, out var testsNode))
            {
                errors.Add(new ConfigError(mapping.Mark, "expected 'tests:' with a list of tests, found none"));
            }
            else
            {
                var components = topology.Components.ToDictionary(c => c.Id, c => (c.Kind, c.Factory as IProcessorFactory));
                tests = UnitTestsBinder.Bind(testsNode, components, errors);
            }
        }
        if (errors.Count > 0)
        {
            throw new ConfigException(errors.OrderBy(e => e.Mark.Line).ThenBy(e => e.Mark.Column).ToList());
        }
        return tests;
    }
}

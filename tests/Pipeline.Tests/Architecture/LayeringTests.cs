using Pipeline.Isolates;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Architecture;

/// <summary>
/// The layers depend one way: Components (the plug-in interfaces) ← implementations (Sources, Processors, Sinks) ←
/// the isolate runtime ← Topology ← Host; the runtime knows nothing of YAML, and only src/Telemetry knows the
/// metrics library. Checked on the compiled code, so a use through a fully qualified name counts too.
/// </summary>
public sealed class LayeringTests
{
    private static readonly IReadOnlyList<(Type User, Type Used)> References = [.. TypeReferences.Of(typeof(IsolatePool).Assembly)];

    [Theory]
    [InlineData("Pipeline.Isolates", "Pipeline.Config")]
    [InlineData("Pipeline.Isolates", "Pipeline.Topology")]
    [InlineData("Pipeline.Isolates", "Pipeline.Host")]
    [InlineData("Pipeline.Isolates", "Pipeline.Sources")]
    [InlineData("Pipeline.Isolates", "Pipeline.Processors")]
    [InlineData("Pipeline.Isolates", "Pipeline.Sinks")]
    [InlineData("Pipeline.Isolates", "Prometheus")]
    [InlineData("Pipeline.Topology", "Prometheus")]
    [InlineData("Pipeline.Topology", "Pipeline.Host")]
    [InlineData("Pipeline.Components", "Pipeline.Sources")]
    [InlineData("Pipeline.Components", "Pipeline.Processors")]
    [InlineData("Pipeline.Components", "Pipeline.Sinks")]
    [InlineData("Pipeline.Components", "Pipeline.Isolates")]
    [InlineData("Pipeline.Components", "Pipeline.Config")]
    [InlineData("Pipeline.Components", "Pipeline.Topology")]
    [InlineData("Pipeline.Components", "Pipeline.Host")]
    [InlineData("Pipeline.Sources", "Pipeline.Host")]
    [InlineData("Pipeline.Sources", "Pipeline.Isolates")]
    [InlineData("Pipeline.Processors", "Pipeline.Isolates")]
    [InlineData("Pipeline.Sinks", "Pipeline.Isolates")]
    [InlineData("Pipeline.Security", "Pipeline.Sources")]
    [InlineData("Pipeline.Security", "Pipeline.Sinks")]
    [InlineData("Pipeline.Security", "Pipeline.Config")]
    [InlineData("Pipeline.Security", "Pipeline.Host")]
    [InlineData("Pipeline.Security", "Pipeline.Isolates")]
    [InlineData("Pipeline.Events", "Pipeline.Isolates")]
    [InlineData("Pipeline.Events", "Pipeline.Config")]
    public void A_layer_uses_nothing_of_a_layer_above_it(string layer, string above)
    {
        var violations = References
            .Where(r => InNamespace(r.User, layer) && InNamespace(r.Used, above))
            .Select(r => $"{r.User.FullName} uses {r.Used.FullName}")
            .Distinct()
            .Order(StringComparer.Ordinal);

        Assert.Empty(violations);
    }

    [Fact]
    public void No_file_of_the_isolate_runtime_imports_the_config_layer()
    {
        // The compiled check above cannot see an unused using directive; this one reads the sources.
        var folder = RepositoryRoot.Combine("src", "Pipeline", "Isolates");
        var importing = Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(file => File.ReadLines(file).Any(line => line.Contains("Pipeline.Config", StringComparison.Ordinal) || line.Contains("Prometheus", StringComparison.Ordinal)))
            .Select(Path.GetFileName);

        Assert.NotEmpty(Directory.EnumerateFiles(folder, "*.cs"));
        Assert.Empty(importing);
    }

    [Fact]
    public void The_scanner_sees_a_use_that_only_a_method_body_makes()
    {
        // Guards the check itself: the CLI's options name ConfigLoader only inside method bodies.
        Assert.Contains(References, r => Outermost(r.User) == typeof(Pipeline.Host.Commands.CliOptions) && r.Used == typeof(Pipeline.Config.ConfigLoader));
    }

    private static Type Outermost(Type type) => type.DeclaringType is { } declaring ? Outermost(declaring) : type;

    private static bool InNamespace(Type type, string ns)
        => type.Namespace is { } name && (name == ns || name.StartsWith(ns + ".", StringComparison.Ordinal));
}

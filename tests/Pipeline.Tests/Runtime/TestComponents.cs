using Pipeline.Components;

namespace Pipeline.Tests.Runtime;

/// <summary>
/// The test catalog: one registration per kind. Tests hand their factories to <see cref="TestPipeline"/> directly,
/// so the build steps here are never called.
/// </summary>
internal static class TestComponents
{
    public static ComponentCatalog Catalog { get; } = new ComponentCatalog()
        .AddSource<NoOptions>("test_source", "A source driven by the test.", (_, _) => throw new NotSupportedException("tests set the factory directly"))
        .AddProcessor<NoOptions>("test_processor", "A processor defined by the test.", (_, _) => throw new NotSupportedException("tests set the factory directly"))
        .AddSink<NoOptions>("test_sink", "A sink that records what it receives.", (_, _) => throw new NotSupportedException("tests set the factory directly"));

    public sealed class NoOptions;
}

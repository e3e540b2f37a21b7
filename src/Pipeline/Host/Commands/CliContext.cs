using Pipeline.Components;

namespace Pipeline.Host.Commands;

/// <summary>What every command is built with: the component catalog and where environment variables are read.</summary>
/// <param name="Environment">The process's environment in the binary; a dictionary in tests, which run in parallel.</param>
public sealed record CliContext(ComponentCatalog Catalog, Func<string, string?> Environment);

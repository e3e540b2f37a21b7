namespace Pipeline.Tests.Fuzz;

/// <summary>Tests that read process-wide memory counters (allocated bytes, heap size) run with no other test beside them.</summary>
[CollectionDefinition(DisableParallelization = true)]
public sealed class MemoryMeasuringCollection;

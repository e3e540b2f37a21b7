namespace Pipeline.Config.UnitTests;

/// <summary>
/// One entry of <c>tests:</c>, in the spirit of <c>vector test</c>: events inserted at stages, and what must (or must
/// not) come out of stages. Only stages run; sources and sinks are the edges a test stands in for.
/// </summary>
/// <param name="DeadLettered">How many inserted events are expected to fail in a stage (0 unless the test says).</param>
public sealed record ConfigUnitTest(
    string Name,
    SourceMark Mark,
    IReadOnlyList<UnitTestInput> Inputs,
    IReadOnlyList<UnitTestOutput> Outputs,
    IReadOnlyList<InputReference> NoOutputsFrom,
    int DeadLettered,
    SourceMark DeadLetteredMark);

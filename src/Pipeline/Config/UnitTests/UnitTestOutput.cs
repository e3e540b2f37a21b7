namespace Pipeline.Config.UnitTests;

/// <summary>
/// What leaves <paramref name="ExtractFrom"/> (a stage, or one of its named outputs): exactly <paramref name="Count"/>
/// events when given (else at least one), each satisfying every condition.
/// </summary>
public sealed record UnitTestOutput(InputReference ExtractFrom, int? Count, SourceMark CountMark, IReadOnlyList<UnitTestCondition> Conditions);

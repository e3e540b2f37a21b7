using Pipeline.Events;

namespace Pipeline.Config.UnitTests;

/// <summary>One assertion on an event that came out.</summary>
/// <param name="Describe">What is expected, as a failure message says it: <c>.level to equal "error"</c>.</param>
/// <param name="Check">Null when the event satisfies it, else what was found instead.</param>
public sealed record UnitTestCondition(SourceMark Mark, string Describe, Func<Event, string?> Check);

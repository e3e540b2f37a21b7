namespace Pipeline.Config.UnitTests;

/// <summary>Events (as JSON text, in order) handed to the stage <paramref name="InsertAt"/> as if its inputs had sent them.</summary>
public sealed record UnitTestInput(string InsertAt, IReadOnlyList<string> Events, SourceMark Mark);

namespace Pipeline.Processors.Expressions;

/// <summary>The text relations a condition can test; one implementation serves bytes and case-mapped chars.</summary>
internal enum TextOperation
{
    Compare,
    Contains,
    StartsWith,
    EndsWith,
}

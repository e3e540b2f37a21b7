namespace Pipeline.Processors.Expressions;

/// <summary>How two condition values relate. <see cref="Unordered"/> covers type mismatches, missing values and
/// values that are equal-or-not but have no order (booleans), so every operator but <c>!=</c> is false for it.</summary>
internal enum ValueOrder
{
    Less,
    Equal,
    Greater,
    Unordered,
}

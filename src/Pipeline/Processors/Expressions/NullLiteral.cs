namespace Pipeline.Processors.Expressions;

/// <summary>
/// The <c>null</c> of a condition. The keyword is substituted by this typed singleton because a bare C# null is
/// ambiguous against <see cref="FieldValue"/>'s operator overloads.
/// </summary>
public sealed class NullLiteral
{
    private NullLiteral()
    {
    }

    public static NullLiteral Instance { get; } = new();

    public override string ToString() => "null";
}

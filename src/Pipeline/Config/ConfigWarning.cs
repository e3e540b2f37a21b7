namespace Pipeline.Config;

/// <summary>
/// Something in a valid config that almost certainly does not do what its author meant: <c>validate</c> prints it
/// and still exits 0, and <c>run</c> logs it at start-up.
/// </summary>
public sealed record ConfigWarning(SourceMark Mark, string Message)
{
    public override string ToString() => $"{Mark}: warning: {Message}";
}

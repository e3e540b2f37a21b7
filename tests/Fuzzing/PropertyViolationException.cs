namespace Pipeline.Fuzzing;

/// <summary>A fuzz property did not hold; the message says which and how. CsCheck adds the seed that reproduces it.</summary>
public sealed class PropertyViolationException(string message) : Exception(message)
{
    public static void ThrowUnless(bool condition, string message)
    {
        if (!condition)
        {
            throw new PropertyViolationException(message);
        }
    }
}

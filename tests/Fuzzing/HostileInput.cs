using System.Text;

namespace Pipeline.Fuzzing;

/// <summary>One input of the hostile-input corpus: a name that says what is hostile about it, and its bytes.</summary>
public sealed record HostileInput(string Name, byte[] Bytes)
{
    public static HostileInput Text(string name, string text) => new(name, Encoding.UTF8.GetBytes(text));

    /// <summary>The name, so a test case or a failure shows what the input is rather than its bytes.</summary>
    public override string ToString() => Name;
}

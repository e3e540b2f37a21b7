namespace Pipeline.Fuzzing;

/// <summary>One parser and its property, runnable under any budget; the run returns how many inputs it tried.</summary>
public sealed record FuzzTarget(string Name, Func<FuzzBudget, Task<long>> Run)
{
    public override string ToString() => Name;
}

namespace Pipeline.Isolates;

public enum RouterKind
{
    RoundRobin,
    LeastLoaded,
    KeyAffinity,
}

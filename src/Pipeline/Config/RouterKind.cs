namespace Pipeline.Config;

public enum RouterKind
{
    RoundRobin,
    LeastLoaded,
    KeyAffinity,
}

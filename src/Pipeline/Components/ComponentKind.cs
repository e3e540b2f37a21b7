namespace Pipeline.Components;

public enum ComponentKind
{
    Source,
    Processor,
    Sink,
}

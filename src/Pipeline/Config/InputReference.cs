namespace Pipeline.Config;

/// <summary>An entry of <c>inputs:</c>: a component id, optionally with a named output (<c>route_id.name</c>).</summary>
public sealed record InputReference(string ComponentId, string? Output, SourceMark Mark)
{
    public string Text => Output is null ? ComponentId : $"{ComponentId}.{Output}";

    public override string ToString() => Text;
}

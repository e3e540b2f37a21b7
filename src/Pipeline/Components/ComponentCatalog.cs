namespace Pipeline.Components;

/// <summary>The registered component types, by kind and YAML type name.</summary>
public sealed class ComponentCatalog
{
    private readonly Dictionary<(ComponentKind, string), ComponentDescriptor> _byKindAndType = [];

    public IEnumerable<ComponentDescriptor> All => _byKindAndType.Values.OrderBy(d => d.Kind).ThenBy(d => d.Type, StringComparer.Ordinal);

    public ComponentCatalog AddSource<TOptions>(string type, string description, Func<TOptions, ComponentContext, ISourceFactory> build)
        where TOptions : class, new()
        => Add(type, ComponentKind.Source, description, typeof(TOptions), (o, c) => build((TOptions)o, c));

    public ComponentCatalog AddProcessor<TOptions>(string type, string description, Func<TOptions, ComponentContext, IProcessorFactory> build)
        where TOptions : class, new()
        => Add(type, ComponentKind.Processor, description, typeof(TOptions), (o, c) => build((TOptions)o, c));

    public ComponentCatalog AddSink<TOptions>(string type, string description, Func<TOptions, ComponentContext, ISinkFactory> build)
        where TOptions : class, new()
        => Add(type, ComponentKind.Sink, description, typeof(TOptions), (o, c) => build((TOptions)o, c));

    public bool TryGet(ComponentKind kind, string type, out ComponentDescriptor descriptor)
        => _byKindAndType.TryGetValue((kind, type), out descriptor!);

    public IEnumerable<string> TypesOf(ComponentKind kind)
        => _byKindAndType.Keys.Where(k => k.Item1 == kind).Select(k => k.Item2).Order(StringComparer.Ordinal);

    private ComponentCatalog Add(string type, ComponentKind kind, string description, Type optionsType, Func<object, ComponentContext, object> build)
    {
        _byKindAndType.Add((kind, type), new ComponentDescriptor(type, kind, description, optionsType, build));
        return this;
    }
}

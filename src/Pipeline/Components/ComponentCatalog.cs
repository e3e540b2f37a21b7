using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace Pipeline.Components;

/// <summary>The registered component types, by kind and YAML type name.</summary>
public sealed class ComponentCatalog
{
    private readonly Dictionary<(ComponentKind, string), ComponentDescriptor> _byKindAndType = [];

    public IEnumerable<ComponentDescriptor> All => _byKindAndType.Values.OrderBy(d => d.Kind).ThenBy(d => d.Type, StringComparer.Ordinal);

    /// <summary>
    /// Registers a component by its config class: the type name and description come from its
    /// <see cref="ComponentAttribute"/>, the kind from the config interface it implements, the build step is its
    /// <c>Build</c> method.
    /// </summary>
    public ComponentCatalog Add<[DynamicallyAccessedMembers(ComponentDescriptor.OptionMembers)] TConfig>()
        where TConfig : class, new()
    {
        var config = typeof(TConfig);
        var component = config.GetCustomAttribute<ComponentAttribute>()
            ?? throw new InvalidOperationException($"{config.Name} has no [Component(type, description)] attribute");
        return true switch
        {
            _ when typeof(ISourceConfig).IsAssignableFrom(config)
                => Add(component.Type, ComponentKind.Source, component.Description, config, (o, c) => ((ISourceConfig)o).Build(c)),
            _ when typeof(IProcessorConfig).IsAssignableFrom(config)
                => Add(component.Type, ComponentKind.Processor, component.Description, config, (o, c) => ((IProcessorConfig)o).Build(c)),
            _ when typeof(ISinkConfig).IsAssignableFrom(config)
                => Add(component.Type, ComponentKind.Sink, component.Description, config, (o, c) => ((ISinkConfig)o).Build(c)),
            _ => throw new InvalidOperationException($"{config.Name} implements none of ISourceConfig, IProcessorConfig, ISinkConfig"),
        };
    }

    /// <summary>A source whose build step is given here rather than by its options class (test doubles).</summary>
    public ComponentCatalog AddSource<[DynamicallyAccessedMembers(ComponentDescriptor.OptionMembers)] TOptions>(string type, string description, Func<TOptions, ComponentContext, ISourceFactory> build)
        where TOptions : class, new()
        => Add(type, ComponentKind.Source, description, typeof(TOptions), (o, c) => build((TOptions)o, c));

    /// <summary>A processor whose build step is given here rather than by its options class (test doubles).</summary>
    public ComponentCatalog AddProcessor<[DynamicallyAccessedMembers(ComponentDescriptor.OptionMembers)] TOptions>(string type, string description, Func<TOptions, ComponentContext, IProcessorFactory> build)
        where TOptions : class, new()
        => Add(type, ComponentKind.Processor, description, typeof(TOptions), (o, c) => build((TOptions)o, c));

    /// <summary>A sink whose build step is given here rather than by its options class (test doubles).</summary>
    public ComponentCatalog AddSink<[DynamicallyAccessedMembers(ComponentDescriptor.OptionMembers)] TOptions>(string type, string description, Func<TOptions, ComponentContext, ISinkFactory> build)
        where TOptions : class, new()
        => Add(type, ComponentKind.Sink, description, typeof(TOptions), (o, c) => build((TOptions)o, c));

    public bool TryGet(ComponentKind kind, string type, out ComponentDescriptor descriptor)
        => _byKindAndType.TryGetValue((kind, type), out descriptor!);

    public IEnumerable<string> TypesOf(ComponentKind kind)
        => _byKindAndType.Keys.Where(k => k.Item1 == kind).Select(k => k.Item2).Order(StringComparer.Ordinal);

    private ComponentCatalog Add(string type, ComponentKind kind, string description, [DynamicallyAccessedMembers(ComponentDescriptor.OptionMembers)] Type optionsType, Func<object, ComponentContext, object> build)
    {
        _byKindAndType.Add((kind, type), new ComponentDescriptor(type, kind, description, optionsType, build));
        return this;
    }
}

using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text;

namespace Pipeline.Components;

/// <summary>
/// A registered component type: what the YAML calls it, its options (from the options class's
/// <see cref="OptionAttribute"/>s) and its build step. Validation, docs and construction all read this one record.
/// </summary>
public sealed class ComponentDescriptor
{
    /// <summary>
    /// What the binder reflects on in an options class: its public properties and its parameterless constructor.
    /// Annotating the types that flow here keeps both in a trimmed publish (docs/performance.md).
    /// </summary>
    internal const DynamicallyAccessedMemberTypes OptionMembers =
        DynamicallyAccessedMemberTypes.PublicProperties | DynamicallyAccessedMemberTypes.PublicParameterlessConstructor;

    private readonly Func<object, ComponentContext, object> _build;

    internal ComponentDescriptor(string type, ComponentKind kind, string description, [DynamicallyAccessedMembers(OptionMembers)] Type optionsType, Func<object, ComponentContext, object> build)
    {
        Type = type;
        Kind = kind;
        Description = description;
        OptionsType = optionsType;
        _build = build;
        Options = ReadOptions(optionsType);
    }

    /// <summary>The [Option] properties of any settings class, for sections that are not components (telemetry).</summary>
    public static IReadOnlyList<OptionDescriptor> OptionsOf([DynamicallyAccessedMembers(OptionMembers)] Type settingsType) => ReadOptions(settingsType);

    public string Type { get; }

    public ComponentKind Kind { get; }

    public string Description { get; }

    [DynamicallyAccessedMembers(OptionMembers)]
    public Type OptionsType { get; }

    public IReadOnlyList<OptionDescriptor> Options { get; }

    public object CreateDefaultOptions() => Activator.CreateInstance(OptionsType)!;

    /// <summary>
    /// Runs the build step: validates the bound options (throwing <see cref="ComponentBuildException"/>) and returns
    /// an <see cref="ISourceFactory"/>, <see cref="IProcessorFactory"/> or <see cref="ISinkFactory"/> according to <see cref="Kind"/>.
    /// </summary>
    public object Build(object options, ComponentContext context) => _build(options, context);

    /// <summary>
    /// True for an option whose type is a block of options of its own (a class with [Option] properties, such as
    /// <c>tls</c> or <c>auth</c>): bound from a mapping and documented as <c>tls.cert_file</c> and the like.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Settings blocks are the service's own types, kept whole (docs/performance.md).")]
    public static bool IsSettingsBlock(Type type)
        => type.IsClass && type != typeof(string) && !type.IsGenericType
            && type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Any(p => p.IsDefined(typeof(OptionAttribute)));

    public static string ToSnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0 && (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1]))))
                {
                    sb.Append('_');
                }
                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    private static OptionDescriptor[] ReadOptions([DynamicallyAccessedMembers(OptionMembers)] Type optionsType)
    {
        var defaults = Activator.CreateInstance(optionsType);
        return optionsType
            .GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, Attribute: p.GetCustomAttribute<OptionAttribute>()))
            .Where(x => x.Attribute is not null)
            .Select(x => new OptionDescriptor(
                x.Attribute!.Name ?? ToSnakeCase(x.Property.Name),
                x.Property,
                x.Attribute.Description,
                x.Attribute.Required,
                DescribeType(x.Property.PropertyType),
                x.Attribute.Required ? null : FormatDefault(x.Property.GetValue(defaults)),
                x.Attribute.Example))
            .ToArray();
    }

    private static string DescribeType(Type t)
    {
        var inner = Nullable.GetUnderlyingType(t) ?? t;
        if (inner.IsEnum)
        {
            return "one of " + string.Join(", ", Enum.GetNames(inner).Select(ToSnakeCase));
        }
        if (inner.IsGenericType && inner.GetGenericTypeDefinition() == typeof(List<>))
        {
            return "list of " + DescribeType(inner.GetGenericArguments()[0]);
        }
        if (inner.IsGenericType && inner.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            return "map of string to " + DescribeType(inner.GetGenericArguments()[1]);
        }
        return inner.Name switch
        {
            "String" => "string",
            "Int32" or "Int64" => "integer",
            "Double" => "number",
            "Boolean" => "bool",
            "TimeSpan" => "duration",
            "ByteSize" => "byte size",
            "FieldPath" => "field path",
            _ when IsSettingsBlock(inner) => "mapping",
            _ => inner.Name,
        };
    }

    private static string? FormatDefault(object? value) => value switch
    {
        null => null,
        string s => s.Length == 0 ? null : $"\"{s}\"",
        bool b => b ? "true" : "false",
        TimeSpan ts => ts.TotalMilliseconds < 1000 ? $"{ts.TotalMilliseconds}ms" : $"{ts.TotalSeconds}s",
        Enum e => ToSnakeCase(e.ToString()),
        System.Collections.ICollection { Count: 0 } => null,
        System.Collections.IEnumerable and not string => null,
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}

using Pipeline.Components;
using Pipeline.Isolates;

namespace Pipeline.Config;

/// <summary>A component while its config is being checked: everything that could be bound, even when some of it was wrong.</summary>
internal sealed class ComponentDraft(string id, ComponentKind kind, SourceMark mark)
{
    public string Id { get; } = id;

    public ComponentKind Kind { get; } = kind;

    public SourceMark Mark { get; } = mark;

    /// <summary>Null when the type is missing or unknown.</summary>
    public ComponentDescriptor? Descriptor { get; set; }

    public object? Options { get; set; }

    /// <summary>Null until the build step succeeded; named outputs are only known from it.</summary>
    public object? Factory { get; set; }

    public List<InputReference> Inputs { get; } = [];

    public IsolatePoolSettings Stage { get; } = new();

    /// <summary>Sources only: <c>acknowledgements: true</c>.</summary>
    public bool? Acknowledgements { get; set; }

    /// <summary>Its YAML body after interpolation (<see cref="ConfigFingerprint"/>).</summary>
    public string Fingerprint { get; init; } = "";

    public Dictionary<string, SourceMark> OptionMarks { get; } = new(StringComparer.Ordinal);

    /// <summary>The text values of options and of a block's options (tls.cert_file), so an error can point inside one.</summary>
    public Dictionary<string, ConfigScalar> OptionValues { get; } = new(StringComparer.Ordinal);

    /// <summary>Its inputs were reported wrong, so "nothing reaches it" would only repeat that error.</summary>
    public bool HasInputErrors { get; set; }

    public string Noun => NounOf(Kind);

    /// <summary>How the component is named in errors: <c>stage 'keep' (filter)</c>.</summary>
    public string Subject => Descriptor is null ? $"{Noun} '{Id}'" : $"{Noun} '{Id}' ({Descriptor.Type})";

    /// <summary>
    /// A build step's error at the option it names: at the exact character when it gives an offset into a value that
    /// stands one to one in the file, else at the value (or the key); its message's first line is the error and the
    /// lines after it (a condition with a caret) are printed beneath.
    /// </summary>
    public ConfigError ErrorOf(ComponentBuildException error)
    {
        var mark = OptionValues.TryGetValue(error.Option, out var value)
            ? (error.Offset is { } offset ? value.MarkOf(offset) : OptionMarks.GetValueOrDefault(error.Option, value.Mark))
            : OptionMarks.GetValueOrDefault(error.Option, Mark);
        var lines = error.Message.ReplaceLineEndings("\n");
        var firstBreak = lines.IndexOf('\n', StringComparison.Ordinal);
        return firstBreak < 0
            ? new ConfigError(mark, $"{Subject}: option '{error.Option}': {lines}")
            : new ConfigError(mark, $"{Subject}: option '{error.Option}': {lines[..firstBreak]}", Detail: lines[(firstBreak + 1)..]);
    }

    public static string NounOf(ComponentKind kind) => kind switch
    {
        ComponentKind.Source => "source",
        ComponentKind.Processor => "stage",
        _ => "sink",
    };
}

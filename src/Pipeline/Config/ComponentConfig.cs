using Pipeline.Components;
using Pipeline.Isolates;

namespace Pipeline.Config;

/// <summary>One source, stage or sink as declared in YAML, with its options already bound and type-checked.</summary>
public sealed class ComponentConfig
{
    public required string Id { get; init; }

    public required ComponentKind Kind { get; init; }

    public required ComponentDescriptor Descriptor { get; init; }

    /// <summary>An instance of <see cref="ComponentDescriptor.OptionsType"/>.</summary>
    public required object Options { get; init; }

    /// <summary>
    /// The result of the build step: an <see cref="ISourceFactory"/>, <see cref="IProcessorFactory"/> or
    /// <see cref="ISinkFactory"/>, made once while the config was validated.
    /// </summary>
    public required object Factory { get; init; }

    /// <summary>Empty for sources.</summary>
    public IReadOnlyList<InputReference> Inputs { get; init; } = [];

    /// <summary>Pool settings; defaults for sources (which do not use them).</summary>
    public IsolatePoolSettings Stage { get; init; } = new();

    /// <summary>
    /// Sources only (<c>acknowledgements: true</c>, Vector's key): the source may learn when each batch it sent is
    /// terminal at every sink (<see cref="ISourceContext.BeginBatch"/>).
    /// </summary>
    public bool? Acknowledgements { get; init; }

    public required SourceMark Mark { get; init; }

    /// <summary>Where each option was written, by YAML option name, so build errors can point at it.</summary>
    public IReadOnlyDictionary<string, SourceMark> OptionMarks { get; init; } = new Dictionary<string, SourceMark>();

    /// <summary>
    /// Its YAML body (type, options, inputs, stage settings) after <c>${VAR}</c> interpolation, as canonical text: a
    /// reload keeps a running component whose fingerprint did not change. Empty for configs not read from YAML.
    /// </summary>
    public string Fingerprint { get; init; } = "";

    public string Type => Descriptor.Type;
}

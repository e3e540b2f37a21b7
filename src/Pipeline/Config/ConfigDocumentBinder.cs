using System.Diagnostics.CodeAnalysis;
using Pipeline.Components;
using Pipeline.Telemetry;

namespace Pipeline.Config;

/// <summary>
/// Binds a parsed topology file to a <see cref="PipelineConfig"/>: top-level keys, each component's type, inputs,
/// stage settings and options, then the build steps and the graph checks. It keeps going after an error so that
/// one run reports every problem in the file.
/// </summary>
internal sealed partial class ConfigDocumentBinder
{
    private static readonly string[] TopLevelKeys = ["name", "data_dir", "shutdown_timeout", "admin", "dead_letter", "telemetry", "memory_limiter", "sources", "stages", "sinks", UnitTests.UnitTestsBinder.Key];

    private static readonly (string Key, ComponentKind Kind)[] Sections =
    [
        ("sources", ComponentKind.Source),
        ("stages", ComponentKind.Processor),
        ("sinks", ComponentKind.Sink),
    ];

    private readonly ComponentCatalog _catalog;
    private readonly Func<string, string?> _environment;
    private readonly List<ConfigError> _errors;
    private readonly long? _availableMemory;

    // The top-level settings as bound so far: PipelineConfig's defaults until the file says otherwise.
    private PipelineConfig _pipeline;

    // `tests:`, bound once the stages are built: a test names stages and their outputs.
    private ConfigNode? _tests;

    private ConfigDocumentBinder(string file, ComponentCatalog catalog, Func<string, string?> environment, List<ConfigError> errors, long? availableMemory)
    {
        _availableMemory = availableMemory;
        _pipeline = new PipelineConfig { File = file, Components = [] };
        _catalog = catalog;
        _environment = environment;
        _errors = errors;
    }

    /// <param name="availableMemory">The memory the topology must fit (<see cref="TopologyMemoryEstimate"/>); null for this process's.</param>
    public static PipelineConfig Load(string yaml, string file, ComponentCatalog catalog, IReadOnlyDictionary<string, string>? environment, long? availableMemory = null)
    {
        var errors = new List<ConfigError>();
        var root = ConfigYamlReader.Read(yaml, file, errors);
        PipelineConfig? config = null;
        if (root is null)
        {
            if (errors.Count == 0)
            {
                errors.Add(new ConfigError(new SourceMark(file, 1, 1), "the config is empty (expected a mapping with sources, stages and sinks)"));
            }
        }
        else
        {
            var variables = environment ?? EnvironmentInterpolator.ProcessEnvironment();
            EnvironmentInterpolator.InterpolateTree(root, variables, errors);
            config = new ConfigDocumentBinder(file, catalog, name => variables.GetValueOrDefault(name), errors, availableMemory).Bind(root);
        }
        if (errors.Count > 0 || config is null)
        {
            throw new ConfigException(errors.OrderBy(e => e.Mark.Line).ThenBy(e => e.Mark.Column).ToList());
        }
        return config;
    }

    private PipelineConfig? Bind(ConfigNode rootNode)
    {
        if (rootNode is not ConfigMapping root)
        {
            _errors.Add(new ConfigError(rootNode.Mark, $"expected a mapping with sources, stages and sinks, found {rootNode.Describe()}"));
            return null;
        }
        BindTopLevel(root);
        ValidateTelemetry(root);

        var components = new List<ComponentDraft>();
        var byId = new Dictionary<string, ComponentDraft>(StringComparer.Ordinal);
        foreach (var (key, kind) in Sections)
        {
            var noun = ComponentDraft.NounOf(kind);
            var present = root.TryGet(key, out var sectionKey, out var section)
                // Vector's name for the section is reported as an unknown key, yet its stages are checked as stages,
                // so that one run shows every other error and the inputs naming them are not reported unknown.
                || (kind == ComponentKind.Processor && root.TryGet("transforms", out sectionKey, out section));
            if (!present || section is ConfigScalar { IsNull: true } || section is ConfigMapping { Entries.Count: 0 })
            {
                if (kind != ComponentKind.Processor)
                {
                    var mark = sectionKey?.Mark ?? root.Mark;
                    _errors.Add(new ConfigError(mark, $"the topology is empty: expected at least one {noun} under '{key}:', found none"));
                }
                continue;
            }
            if (section is not ConfigMapping entries)
            {
                _errors.Add(new ConfigError(section.Mark, $"'{key}': expected a mapping of {noun} ids to their settings, found {section.Describe()}"));
                continue;
            }
            foreach (var (idKey, body) in entries.Entries)
            {
                var draft = BindComponent(idKey, body, kind);
                if (byId.TryGetValue(draft.Id, out var first))
                {
                    _errors.Add(new ConfigError(
                        idKey.Mark,
                        $"duplicate id '{draft.Id}': it is already a {first.Noun} at line {first.Mark.Line}, column {first.Mark.Column} (expected ids unique across sources, stages and sinks)"));
                    continue;
                }
                byId.Add(draft.Id, draft);
                components.Add(draft);
            }
        }

        TopologyValidator.Validate(components, _errors);
        OrderKeyRouting.Apply(components);
        var tests = _tests is null ? [] : UnitTests.UnitTestsBinder.Bind(_tests, components.ToDictionary(c => c.Id, c => (c.Kind, c.Factory as IProcessorFactory)), _errors);
        if (_errors.Count > 0 || !TopologyMemoryEstimate.Fits(components, _pipeline.MemoryLimiter, _errors, _availableMemory))
        {
            return null;
        }
        return _pipeline with
        {
            Tests = tests,
            Warnings = ConfigWarningRules.Collect(components),
            // tests: is read only by `pipeline test`, so editing it changes nothing a reload must refuse.
            SettingFingerprints = ConfigFingerprint.OfSettings(root, Sections.Select(s => s.Key).Append(UnitTests.UnitTestsBinder.Key).ToHashSet(StringComparer.Ordinal)),
            Components = components.Select(c => new ComponentConfig
            {
                Id = c.Id,
                Kind = c.Kind,
                Descriptor = c.Descriptor!,
                Options = c.Options!,
                Factory = c.Factory!,
                Inputs = c.Inputs,
                Stage = c.Stage,
                Acknowledgements = c.Acknowledgements,
                Mark = c.Mark,
                OptionMarks = c.OptionMarks,
                Fingerprint = c.Fingerprint,
            }).ToList(),
        };
    }

    private void BindTopLevel(ConfigMapping root)
    {
        foreach (var (key, value) in root.Entries)
        {
            switch (key.Value)
            {
                case "name":
                    if (TryString(value, "'name'", out var name))
                    {
                        _pipeline = _pipeline with { Name = name };
                    }
                    break;
                case "data_dir":
                    if (TryString(value, "'data_dir'", out var dataDirectory))
                    {
                        _pipeline = _pipeline with { DataDirectory = dataDirectory };
                    }
                    break;
                case "shutdown_timeout":
                    if (OptionValueConverter.TryConvert(value, typeof(TimeSpan), "'shutdown_timeout'", _errors, out var timeout))
                    {
                        _pipeline = _pipeline with { ShutdownTimeout = (TimeSpan)timeout! };
                    }
                    break;
                case AdminSettingsBinder.Key:
                    if (AdminSettingsBinder.Bind(value, _environment, _errors) is { } admin)
                    {
                        _pipeline = _pipeline with { Admin = admin };
                    }
                    break;
                case "telemetry":
                    BindTelemetry(value);
                    break;
                case MemoryLimiterBinder.Key:
                    if (MemoryLimiterBinder.Bind(value, _errors) is { } limiter)
                    {
                        _pipeline = _pipeline with { MemoryLimiter = limiter };
                    }
                    break;
                case "dead_letter":
                    BindSmallSection(value, "dead_letter", "path", path =>
                    {
                        _pipeline = _pipeline with { DeadLetterPath = path };
                        return null;
                    });
                    break;
                case "sources" or "stages" or "sinks":
                    break;
                case UnitTests.UnitTestsBinder.Key:
                    _tests = value;
                    break;
                default:
                    var vector = VectorNames.TopLevelKey(key.Value);
                    _errors.Add(new ConfigError(
                        key.Mark,
                        $"unknown top-level key '{key.Value}' ({(vector is { } v ? v.Note + "; " : "")}expected one of {string.Join(", ", TopLevelKeys)})",
                        vector?.Ours ?? SpellingSuggestion.Closest(key.Value, TopLevelKeys)));
                    break;
            }
        }
    }

    /// <summary><c>telemetry: { traces: {...}, logs: {...} }</c>, each bound like a component's options.</summary>
    private void BindTelemetry(ConfigNode node)
    {
        if (node is ConfigScalar { IsNull: true })
        {
            return;
        }
        if (node is not ConfigMapping mapping)
        {
            _errors.Add(new ConfigError(node.Mark, $"'telemetry': expected a mapping with traces and logs, found {node.Describe()}"));
            return;
        }
        string[] sections = ["traces", "logs"];
        foreach (var (key, value) in mapping.Entries)
        {
            switch (key.Value)
            {
                case "traces":
                    BindSettings(value, "telemetry.traces", _pipeline.Traces);
                    break;
                case "logs":
                    BindSettings(value, "telemetry.logs", _pipeline.Logs);
                    break;
                default:
                    _errors.Add(new ConfigError(
                        key.Mark,
                        $"'telemetry': unknown key '{key.Value}' (expected one of {string.Join(", ", sections)})",
                        SpellingSuggestion.Closest(key.Value, sections)));
                    break;
            }
        }
    }

    /// <summary>
    /// Resolves <c>telemetry.traces</c> and <c>telemetry.logs</c> over the environment, as the service will when it
    /// runs, so that <c>validate</c> reports a wrong value too: a YAML option at its line and column, an environment
    /// variable at its section (or the top of the file).
    /// </summary>
    private void ValidateTelemetry(ConfigMapping root)
    {
        var errors = new List<SettingError>();
        TracingConfiguration.Resolve(_pipeline.Traces.ToTracingOptions(), _environment, errors);
        ReportSettingErrors(root, "traces", errors);
        errors.Clear();
        var logs = _pipeline.Logs;
        logs.ResolveLevel(_environment, out var levelError);
        if (levelError is not null)
        {
            errors.Add(levelError);
        }
        logs.ResolveShipping(_environment, errors);
        ReportSettingErrors(root, "logs", errors);
    }

    private void ReportSettingErrors(ConfigMapping root, string key, List<SettingError> errors)
    {
        if (errors.Count == 0)
        {
            return;
        }
        var section = "telemetry." + key;
        ConfigMapping? options = null;
        var sectionMark = new SourceMark(_pipeline.File, 1, 1);
        if (root.TryGet("telemetry", out var telemetryKey, out var telemetry))
        {
            sectionMark = telemetryKey.Mark;
            if (telemetry is ConfigMapping sections && sections.TryGet(key, out var sectionKey, out var body))
            {
                sectionMark = sectionKey.Mark;
                options = body as ConfigMapping;
            }
        }
        foreach (var error in errors)
        {
            if (error.IsOptionOf(section, out var option))
            {
                var mark = options is not null && options.TryGet(option, out var optionKey, out _) ? optionKey.Mark : sectionMark;
                _errors.Add(new ConfigError(mark, $"'{section}.{option}': {error.Message}"));
            }
            else
            {
                _errors.Add(new ConfigError(sectionMark, $"'{section}': environment variable {error.Setting}: {error.Message}"));
            }
        }
    }

    private void BindSettings<[DynamicallyAccessedMembers(ComponentDescriptor.OptionMembers)] TSettings>(ConfigNode node, string section, TSettings target)
        where TSettings : class
    {
        if (node is ConfigScalar { IsNull: true })
        {
            return;
        }
        if (node is not ConfigMapping mapping)
        {
            _errors.Add(new ConfigError(node.Mark, $"'{section}': expected a mapping, found {node.Describe()}"));
            return;
        }
        var options = ComponentDescriptor.OptionsOf(typeof(TSettings));
        foreach (var (key, value) in mapping.Entries)
        {
            var option = options.FirstOrDefault(o => o.Name == key.Value);
            if (option is null)
            {
                var names = options.Select(o => o.Name).ToList();
                _errors.Add(new ConfigError(
                    key.Mark,
                    $"'{section}': unknown option '{key.Value}' (expected one of {string.Join(", ", names)})",
                    SpellingSuggestion.Closest(key.Value, names)));
                continue;
            }
            if (OptionValueConverter.TryConvert(value, option.Property.PropertyType, $"'{section}.{option.Name}'", _errors, out var converted))
            {
                option.Property.SetValue(target, converted);
            }
        }
    }

    /// <summary>A section with one string key, like <c>admin: { address: ... }</c>.</summary>
    /// <param name="accept">Takes the value; returns what was expected when the value is wrong, else null.</param>
    private void BindSmallSection(ConfigNode node, string section, string onlyKey, Func<string, string?> accept)
    {
        if (node is ConfigScalar { IsNull: true })
        {
            return;
        }
        if (node is not ConfigMapping mapping)
        {
            _errors.Add(new ConfigError(node.Mark, $"'{section}': expected a mapping with '{onlyKey}', found {node.Describe()}"));
            return;
        }
        foreach (var (key, value) in mapping.Entries)
        {
            if (key.Value != onlyKey)
            {
                _errors.Add(new ConfigError(key.Mark, $"'{section}': unknown key '{key.Value}' (expected '{onlyKey}')", SpellingSuggestion.Closest(key.Value, [onlyKey])));
            }
            else if (TryString(value, $"'{section}.{onlyKey}'", out var text) && accept(text) is { } expected)
            {
                _errors.Add(new ConfigError(value.Mark, $"'{section}.{onlyKey}': expected {expected}, found {value.Describe()}"));
            }
        }
    }

    private ComponentDraft BindComponent(ConfigScalar idKey, ConfigNode body, ComponentKind kind)
    {
        var draft = new ComponentDraft(idKey.Value, kind, idKey.Mark) { Fingerprint = ConfigFingerprint.Of(body) };
        var errorsBefore = _errors.Count;
        if (draft.Id.Length == 0 || draft.Id.Contains('.', StringComparison.Ordinal))
        {
            _errors.Add(new ConfigError(idKey.Mark, $"{draft.Noun} id '{draft.Id}': expected a non-empty id without '.' ('.' separates a named output, as in route_id.name)"));
        }
        if (body is ConfigScalar { IsNull: true })
        {
            body = new ConfigMapping(idKey.Mark);
        }
        if (body is not ConfigMapping mapping)
        {
            _errors.Add(new ConfigError(body.Mark, $"{draft.Subject}: expected a mapping with 'type' and options, found {body.Describe()}"));
            draft.HasInputErrors = true;
            return draft;
        }
        RecordOptionMarks(draft, mapping);

        BindType(draft, mapping);
        BindInputs(draft, mapping);
        draft.Options = draft.Descriptor?.CreateDefaultOptions();

        var failedSettings = new HashSet<string>(StringComparer.Ordinal);
        // Options that an unknown key is a typo of ("pth" for "path"): "missing required option 'path'" would only
        // repeat that error in worse words, so it is left out.
        var misspelt = new HashSet<string>(StringComparer.Ordinal);
        var failedOptions = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Entries)
        {
            if (key.Value is "type" or "inputs")
            {
                continue;
            }
            if (key.Value == SourceSettingsBinder.AcknowledgementsKey)
            {
                SourceSettingsBinder.BindAcknowledgements(draft, key, value, _errors);
                continue;
            }
            if (key.Value == BufferSettingsBinder.Key)
            {
                BufferSettingsBinder.Bind(draft, key, value, _errors);
                continue;
            }
            if (kind != ComponentKind.Source && StageSettingsBinder.IsSetting(key.Value))
            {
                if (!StageSettingsBinder.Bind(key.Value, value, draft.Stage, draft.Subject, _errors))
                {
                    failedSettings.Add(key.Value);
                }
                continue;
            }
            if (draft.Descriptor is null)
            {
                // The options of an unknown type cannot be checked; the type error says what to fix first.
                continue;
            }
            var option = draft.Descriptor.Options.FirstOrDefault(o => o.Name == key.Value);
            if (option is null)
            {
                if (ReportUnknownOption(draft, key) is { } meant)
                {
                    misspelt.Add(meant);
                }
                continue;
            }
            if (OptionValueConverter.TryConvert(value, option.Property.PropertyType, $"{draft.Subject}: option '{option.Name}'", _errors, out var converted))
            {
                option.Property.SetValue(draft.Options, converted);
            }
            else
            {
                failedOptions.Add(option.Name);
            }
        }

        if (draft.Descriptor is not null)
        {
            foreach (var option in draft.Descriptor.Options)
            {
                if (option.Required && !draft.OptionMarks.ContainsKey(option.Name) && !misspelt.Contains(option.Name))
                {
                    _errors.Add(new ConfigError(draft.Mark, $"{draft.Subject}: missing required option '{option.Name}' (expected {OptionValueConverter.ExpectedText(option.Property.PropertyType)})"));
                }
            }
        }
        if (kind != ComponentKind.Source)
        {
            StageSettingsBinder.CheckRouterKey(draft.Stage, draft.OptionMarks, failedSettings, draft.Mark, draft.Subject, _errors);
            BufferSettingsBinder.Apply(draft, _errors);
        }
        if (_errors.Count == errorsBefore && draft.Descriptor is not null)
        {
            Build(draft);
        }
        return draft;
    }

    private void BindType(ComponentDraft draft, ConfigMapping mapping)
    {
        var known = _catalog.TypesOf(draft.Kind).ToList();
        var expected = known.Count == 0 ? $"no {draft.Noun} types are registered" : "expected one of " + string.Join(", ", known);
        if (!mapping.TryGet("type", out _, out var typeNode))
        {
            _errors.Add(new ConfigError(draft.Mark, $"{draft.Subject}: missing 'type' ({expected})"));
            return;
        }
        if (typeNode is not ConfigScalar { IsNull: false } type)
        {
            _errors.Add(new ConfigError(typeNode.Mark, $"{draft.Subject}: 'type' {expected}, found {typeNode.Describe()}"));
            return;
        }
        if (type.HasReportedError)
        {
            return;
        }
        if (!_catalog.TryGet(draft.Kind, type.Value, out var descriptor))
        {
            var vector = VectorNames.Type(draft.Kind, type.Value);
            _errors.Add(new ConfigError(
                type.Mark,
                $"{draft.Subject}: unknown {draft.Noun} type '{type.Value}' ({(vector is { } v ? v.Note + "; " : "")}{expected})",
                vector?.Ours ?? SpellingSuggestion.Closest(type.Value, known)));
            return;
        }
        draft.Descriptor = descriptor;
    }

    private void BindInputs(ComponentDraft draft, ConfigMapping mapping)
    {
        var present = mapping.TryGet("inputs", out var inputsKey, out var inputsNode);
        if (draft.Kind == ComponentKind.Source)
        {
            if (present)
            {
                _errors.Add(new ConfigError(inputsKey.Mark, $"{draft.Subject}: sources take no inputs (they start the pipeline), found 'inputs'"));
            }
            return;
        }
        if (!present || inputsNode is ConfigScalar { IsNull: true })
        {
            _errors.Add(new ConfigError(draft.Mark, $"{draft.Subject}: missing 'inputs' (expected a list of source or stage ids, e.g. inputs: [my_source])"));
            draft.HasInputErrors = true;
            return;
        }
        if (inputsNode is not ConfigSequence sequence)
        {
            _errors.Add(new ConfigError(inputsNode.Mark, $"{draft.Subject}: 'inputs' expected a list of source or stage ids, found {inputsNode.Describe()}"));
            draft.HasInputErrors = true;
            return;
        }
        if (sequence.Items.Count == 0)
        {
            _errors.Add(new ConfigError(inputsNode.Mark, $"{draft.Subject}: 'inputs' expected at least one source or stage id, found an empty list"));
            draft.HasInputErrors = true;
            return;
        }
        foreach (var item in sequence.Items)
        {
            if (item is not ConfigScalar { IsNull: false } scalar || scalar.Value.Length == 0)
            {
                if (item is not ConfigScalar { HasReportedError: true })
                {
                    _errors.Add(new ConfigError(item.Mark, $"{draft.Subject}: an input expected a source or stage id, found {item.Describe()}"));
                }
                draft.HasInputErrors = true;
                continue;
            }
            var dot = scalar.Value.IndexOf('.', StringComparison.Ordinal);
            draft.Inputs.Add(dot < 0
                ? new InputReference(scalar.Value, null, scalar.Mark)
                : new InputReference(scalar.Value[..dot], scalar.Value[(dot + 1)..], scalar.Mark));
        }
    }

    /// <summary>Runs the component's build step once; its result is the factory the runtime uses.</summary>
    private void Build(ComponentDraft draft)
    {
        var descriptor = draft.Descriptor!;
        try
        {
            var factory = descriptor.Build(draft.Options!, new ComponentContext(draft.Id, _pipeline.Name, _pipeline.DataDirectory) { Environment = _environment });
            var expectedType = draft.Kind switch
            {
                ComponentKind.Source => typeof(ISourceFactory),
                ComponentKind.Processor => typeof(IProcessorFactory),
                _ => typeof(ISinkFactory),
            };
            if (!expectedType.IsInstanceOfType(factory))
            {
                throw new InvalidOperationException($"its build step returned {factory?.GetType().Name ?? "null"}, expected an {expectedType.Name}");
            }
            draft.Factory = factory;
        }
        catch (ComponentBuildException e)
        {
            foreach (var error in e.All.Count > 0 ? e.All : [e])
            {
                _errors.Add(draft.ErrorOf(error));
            }
        }
#pragma warning disable CA1031 // A failing build step is a config error to report with the others, whatever it threw.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _errors.Add(new ConfigError(draft.Mark, $"{draft.Subject}: the build step failed: {e.Message.ReplaceLineEndings(" ")}"));
        }
    }

    private bool TryString(ConfigNode node, string subject, out string text)
    {
        text = "";
        if (OptionValueConverter.TryConvert(node, typeof(string), subject, _errors, out var value) && value is string s)
        {
            if (s.Length == 0)
            {
                _errors.Add(new ConfigError(node.Mark, $"{subject}: expected a non-empty string, found ''"));
                return false;
            }
            text = s;
            return true;
        }
        return false;
    }
}

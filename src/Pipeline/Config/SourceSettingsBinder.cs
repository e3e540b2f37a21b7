using Pipeline.Components;

namespace Pipeline.Config;

/// <summary>The keys a source takes beside its own options: <c>acknowledgements</c>.</summary>
internal static class SourceSettingsBinder
{
    /// <summary>The source setting that turns end-to-end acknowledgements on.</summary>
    public const string AcknowledgementsKey = "acknowledgements";

    /// <summary>
    /// <c>acknowledgements: true</c>, or Vector's longer form <c>acknowledgements: { enabled: true }</c>. A source
    /// setting: the source is the one that answers its client or moves its checkpoint once its events are terminal.
    /// </summary>
    public static void BindAcknowledgements(ComponentDraft draft, ConfigScalar key, ConfigNode value, List<ConfigError> errors)
    {
        if (draft.Kind != ComponentKind.Source)
        {
            errors.Add(new ConfigError(key.Mark,
                $"{draft.Subject}: '{AcknowledgementsKey}' is set on sources (the source answers its client once its events are delivered), not on a {draft.Noun}"));
            return;
        }
        var what = $"{draft.Subject}: '{AcknowledgementsKey}'";
        if (value is ConfigMapping mapping)
        {
            foreach (var (entry, _) in mapping.Entries)
            {
                if (entry.Value != "enabled")
                {
                    errors.Add(new ConfigError(entry.Mark, $"{what}: unknown key '{entry.Value}' (expected enabled)"));
                }
            }
            if (!mapping.TryGet("enabled", out _, out var enabledNode))
            {
                return;
            }
            value = enabledNode;
        }
        if (OptionValueConverter.TryConvert(value, typeof(bool), what, errors, out var enabled) && enabled is bool on)
        {
            draft.Acknowledgements = on;
        }
    }
}

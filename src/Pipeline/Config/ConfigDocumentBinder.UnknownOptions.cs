using Pipeline.Components;

namespace Pipeline.Config;

/// <summary>A component's key that is none of its type's options: a typo, a stage setting on a source, or Vector's name.</summary>
internal sealed partial class ConfigDocumentBinder
{
    /// <returns>The option the key is likely a typo of, if any.</returns>
    private string? ReportUnknownOption(ComponentDraft draft, ConfigScalar key)
    {
        var descriptor = draft.Descriptor!;
        var names = descriptor.Options.Select(o => o.Name).ToList();
        var candidates = draft.Kind == ComponentKind.Source
            ? names
            : names.Concat(StageSettingsBinder.Names).Append("inputs").ToList();
        var expected = names.Count == 0 ? $"{descriptor.Type} has no options" : $"expected one of {string.Join(", ", names)}";
        if (draft.Kind != ComponentKind.Source)
        {
            expected += ", or a stage setting";
        }
        var vector = VectorNames.Option(descriptor.Type, key.Value);
        var message = draft.Kind == ComponentKind.Source && StageSettingsBinder.IsSetting(key.Value)
            ? $"{draft.Subject}: '{key.Value}' is a stage setting, and sources have no isolate pool ({expected})"
            : $"{draft.Subject}: unknown option '{key.Value}' ({(vector is { } v ? v.Note + "; " : "")}{expected})";
        var suggestion = vector is { } counterpart ? counterpart.Ours : SpellingSuggestion.Closest(key.Value, candidates);
        _errors.Add(new ConfigError(key.Mark, message, suggestion));
        return suggestion;
    }
}

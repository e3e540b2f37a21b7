using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text;
using Pipeline.Components;

namespace Pipeline.Config;

/// <summary>
/// The component reference (docs/components.md), generated from the same registration metadata that validation reads,
/// so the docs cannot drift from what the config accepts.
/// </summary>
public static class ComponentReference
{
    public static string RenderMarkdown(ComponentCatalog catalog)
    {
        var sb = new StringBuilder();
        sb.Append("# Component reference\n\n");
        sb.Append("Generated from the component registrations by `pipeline components --format markdown`; do not edit by hand.\n");
        foreach (var (kind, title) in new[] { (ComponentKind.Source, "Sources"), (ComponentKind.Processor, "Processors (stages)"), (ComponentKind.Sink, "Sinks") })
        {
            sb.Append("\n## ").Append(title).Append('\n');
            var any = false;
            foreach (var descriptor in catalog.All.Where(d => d.Kind == kind))
            {
                any = true;
                AppendComponent(sb, descriptor);
            }
            if (!any)
            {
                sb.Append("\nNone registered.\n");
            }
        }
        sb.Append("\n## Stage settings\n\n");
        sb.Append("Every stage and sink also takes these keys beside its own options; they configure its isolate pool.\n\n");
        sb.Append("| Setting | Type | Default | Description |\n");
        sb.Append("|---|---|---|---|\n");
        foreach (var setting in StageSettingsBinder.Settings)
        {
            sb.Append("| `").Append(setting.Name).Append("` | ").Append(Cell(setting.TypeName))
                .Append(" | ").Append(setting.DefaultText.Length == 0 ? "" : Code(setting.DefaultText))
                .Append(" | ").Append(Cell(setting.Description)).Append(" |\n");
        }
        return sb.ToString();
    }

    private static void AppendComponent(StringBuilder sb, ComponentDescriptor descriptor)
    {
        sb.Append("\n### `").Append(descriptor.Type).Append("`\n\n");
        sb.Append(Cell(descriptor.Description)).Append('\n');
        if (descriptor.OptionsType.GetCustomAttribute<ComponentAttribute>() is { } component)
        {
            if (component.Guide is { } guide)
            {
                sb.Append("\nGuide: [docs/").Append(guide).Append("](").Append(guide).Append(")\n");
            }
            if (component.Example is { } example)
            {
                sb.Append("\n```yaml\n").Append(example.ReplaceLineEndings("\n").TrimEnd('\n')).Append("\n```\n");
            }
        }
        if (descriptor.Options.Count == 0)
        {
            sb.Append("\nNo options.\n");
            return;
        }
        sb.Append("\n| Option | Type | Required | Default | Description | Example |\n");
        sb.Append("|---|---|---|---|---|---|\n");
        AppendOptions(sb, descriptor.Options, prefix: "");
    }

    /// <summary>One row per option; a block's own options (tls, auth) follow it as <c>tls.cert_file</c> rows, a list of blocks' as <c>metrics[].name</c>.</summary>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "Settings blocks are the service's own types, kept whole.")]
    // A list's item type comes from GetGenericArguments, which the trim analysis cannot follow; the settings blocks are
    // the service's own types, and TrimMode partial keeps the service's assembly whole.
    [UnconditionalSuppressMessage("Trimming", "IL2062", Justification = "Settings blocks are types of the service's own assembly, which is not trimmed.")]
    private static void AppendOptions(StringBuilder sb, IReadOnlyList<OptionDescriptor> options, string prefix)
    {
        foreach (var option in options)
        {
            sb.Append("| `").Append(prefix).Append(option.Name).Append("` | ").Append(Cell(option.TypeName))
                .Append(" | ").Append(option.Required ? "yes" : "no")
                .Append(" | ").Append(option.DefaultText is null ? "" : Code(option.DefaultText))
                .Append(" | ").Append(Cell(option.Description))
                .Append(" | ").Append(option.Example is null ? "" : Code(option.Example))
                .Append(" |\n");
            var type = Nullable.GetUnderlyingType(option.Property.PropertyType) ?? option.Property.PropertyType;
            if (ComponentDescriptor.IsSettingsBlock(type))
            {
                AppendOptions(sb, ComponentDescriptor.OptionsOf(type), prefix + option.Name + ".");
            }
            else if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) && ComponentDescriptor.IsSettingsBlock(type.GetGenericArguments()[0]))
            {
                // A list of blocks (log_to_metric's metrics): each item's options, as metrics[].name.
                AppendOptions(sb, ComponentDescriptor.OptionsOf(type.GetGenericArguments()[0]), prefix + option.Name + "[].");
            }
        }
    }

    /// <summary>Table cells are one line, and a '|' would end the cell.</summary>
    private static string Cell(string text) => text.ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal);

    private static string Code(string text) => "`" + Cell(text).Replace("`", "'", StringComparison.Ordinal) + "`";
}

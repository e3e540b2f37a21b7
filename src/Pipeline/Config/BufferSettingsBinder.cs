using Pipeline.Components;
using Pipeline.Isolates;
using Pipeline.Isolates.Buffers;

namespace Pipeline.Config;

/// <summary>
/// Binds a sink's <c>buffer:</c> as Vector spells it: <c>{ type: memory | disk, max_events, max_size, when_full }</c>.
/// </summary>
internal static class BufferSettingsBinder
{
    public const string Key = "buffer";

    private static readonly string[] Keys = ["type", "max_events", "max_size", "when_full"];

    public static void Bind(ComponentDraft draft, ConfigScalar key, ConfigNode value, List<ConfigError> errors)
    {
        if (draft.Kind != ComponentKind.Sink)
        {
            errors.Add(new ConfigError(key.Mark, $"{draft.Subject}: '{Key}' is a sink setting (the buffer in front of a sink), not a {draft.Noun}'s"));
            return;
        }
        var what = $"{draft.Subject}: '{Key}'";
        if (value is not ConfigMapping mapping)
        {
            errors.Add(new ConfigError(value.Mark,
                $"{what}: expected a mapping such as {{ type: disk, max_size: 1GiB, when_full: block }}, found {value.Describe()}"));
            return;
        }
        var buffer = new BufferSettings();
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (entry, node) in mapping.Entries)
        {
            var at = $"{what}: '{entry.Value}'";
            set.Add(entry.Value);
            switch (entry.Value)
            {
                case "type":
                    if (OptionValueConverter.TryConvert(node, typeof(BufferType), at, errors, out var type) && type is BufferType t)
                    {
                        buffer.Type = t;
                    }
                    break;
                case "max_events":
                    if (OptionValueConverter.TryConvert(node, typeof(int), at, errors, out var events) && events is int n)
                    {
                        if (n is >= 1 and <= StageSettingLimits.MaxBufferEvents)
                        {
                            buffer.MaxEvents = n;
                        }
                        else
                        {
                            errors.Add(new ConfigError(node.Mark, $"{at}: expected an integer between 1 and 10,000,000 (a larger backlog belongs in a disk buffer), found {node.Describe()}"));
                        }
                    }
                    break;
                case "max_size":
                    if (OptionValueConverter.TryConvert(node, typeof(ByteSize), at, errors, out var size) && size is ByteSize bytes)
                    {
                        if (bytes.Bytes is >= BufferSettings.MinDiskSize and <= StageSettingLimits.MaxDiskBufferSize)
                        {
                            buffer.MaxSize = bytes.Bytes;
                        }
                        else
                        {
                            errors.Add(new ConfigError(node.Mark, $"{at}: expected a size between 1MiB and 1024GiB, found {node.Describe()}"));
                        }
                    }
                    break;
                case "when_full":
                    if (OptionValueConverter.TryConvert(node, typeof(WhenFull), at, errors, out var whenFull) && whenFull is WhenFull w)
                    {
                        buffer.WhenFull = w;
                    }
                    break;
                default:
                    errors.Add(new ConfigError(entry.Mark, $"{what}: unknown key '{entry.Value}' (expected one of {string.Join(", ", Keys)})",
                        SpellingSuggestion.Closest(entry.Value, Keys)));
                    break;
            }
        }
        if (buffer.Type == BufferType.Memory && set.Contains("max_size"))
        {
            errors.Add(new ConfigError(mapping.Mark, $"{what}: max_size is for type: disk; a memory buffer is sized by max_events"));
        }
        if (buffer.Type == BufferType.Disk && set.Contains("max_events"))
        {
            errors.Add(new ConfigError(mapping.Mark, $"{what}: max_events is for type: memory; a disk buffer is sized by max_size"));
        }
        draft.Stage.Buffer = buffer;
    }

    /// <summary>
    /// Once every setting is bound: a memory buffer's max_events becomes the mailboxes' capacity (split over the
    /// isolates) and its when_full theirs; a disk buffer applies when_full itself. Setting both ways is an error.
    /// </summary>
    public static void Apply(ComponentDraft draft, List<ConfigError> errors)
    {
        if (draft.Stage.Buffer is not { } buffer || !draft.OptionMarks.TryGetValue(Key, out var mark))
        {
            return;
        }
        foreach (var duplicate in new[] { "when_full", "mailbox" })
        {
            if (draft.OptionMarks.TryGetValue(duplicate, out var duplicateMark)
                && (duplicate == "when_full" || (buffer.Type == BufferType.Memory && buffer.MaxEvents is not null)))
            {
                errors.Add(new ConfigError(duplicateMark,
                    $"{draft.Subject}: '{duplicate}' is set by '{Key}' (at line {mark.Line}) too; keep one: {(duplicate == "when_full" ? "buffer.when_full" : "buffer.max_events")}"));
            }
        }
        if (buffer.Type == BufferType.Memory)
        {
            draft.Stage.WhenFull = buffer.WhenFull;
            if (buffer.MaxEvents is { } events)
            {
                var isolates = Math.Max(1, draft.Stage.Isolates);
                draft.Stage.Mailbox = (events + isolates - 1) / isolates;
            }
        }
    }
}

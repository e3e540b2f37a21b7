namespace Pipeline.Config;

/// <summary>Where each option's key and value are, so that an error the build step reports points at its line.</summary>
internal sealed partial class ConfigDocumentBinder
{
    private static void RecordOptionMarks(ComponentDraft draft, ConfigMapping mapping)
    {
        foreach (var (key, value) in mapping.Entries)
        {
            draft.OptionMarks[key.Value] = key.Mark;
            if (value is ConfigScalar text)
            {
                draft.OptionValues[key.Value] = text;
            }
            // A block's options too (tls.cert_file), so that a build error about one points at its value, as
            // admin's do (AdminSettingsBinder).
            if (value is ConfigMapping block)
            {
                RecordBlock(draft, key.Value, block);
            }
            // And a list of blocks' (log_to_metric's metrics[0].name, metrics[0].tags.level).
            if (value is ConfigSequence items)
            {
                for (var i = 0; i < items.Items.Count; i++)
                {
                    if (items.Items[i] is ConfigMapping item)
                    {
                        var itemOption = $"{key.Value}[{i}]";
                        draft.OptionMarks[itemOption] = item.Mark;
                        RecordBlock(draft, itemOption, item);
                        foreach (var (innerKey, innerValue) in item.Entries)
                        {
                            if (innerValue is ConfigMapping innerBlock)
                            {
                                RecordBlock(draft, itemOption + "." + innerKey.Value, innerBlock);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Where each option of a block is, so that a build error about one points at its value.</summary>
    private static void RecordBlock(ComponentDraft draft, string option, ConfigMapping block)
    {
        foreach (var (innerKey, innerValue) in block.Entries)
        {
            draft.OptionMarks[option + "." + innerKey.Value] = innerValue is ConfigScalar ? innerValue.Mark : innerKey.Mark;
            if (innerValue is ConfigScalar innerText)
            {
                draft.OptionValues[option + "." + innerKey.Value] = innerText;
            }
        }
    }
}

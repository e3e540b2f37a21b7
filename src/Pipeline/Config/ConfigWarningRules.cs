using Pipeline.Components;
using Pipeline.Decoding;
using Pipeline.Processors;

namespace Pipeline.Config;

/// <summary>The checks behind <see cref="PipelineConfig.Warnings"/>, run once the topology is valid.</summary>
internal static class ConfigWarningRules
{
    public static List<ConfigWarning> Collect(IReadOnlyList<ComponentDraft> components)
    {
        var warnings = new List<ConfigWarning>();
        var byId = components.ToDictionary(c => c.Id, StringComparer.Ordinal);
        foreach (var stage in components)
        {
            ParseJsonOnDecodedJson(stage, byId, warnings);
            OrderLostByRouter(stage, byId, warnings);
        }
        return warnings;
    }

    /// <summary>
    /// A Vector config ports as stdin → parse_json, but here stdin already decodes JSON, so parse_json (on .message
    /// unless field says otherwise) fails every event: each is dead-lettered and the output is empty.
    /// </summary>
    private static void ParseJsonOnDecodedJson(ComponentDraft stage, Dictionary<string, ComponentDraft> byId, List<ConfigWarning> warnings)
    {
        if (stage.Options is not ParseJsonConfig || stage.OptionMarks.ContainsKey("field") || stage.Inputs.Count == 0)
        {
            return;
        }
        string? first = null;
        foreach (var input in stage.Inputs)
        {
            if (!byId.TryGetValue(input.ComponentId, out var producer)
                || producer.Options is not IDecodingSourceConfig { Codec: DecodingCodec.Json })
            {
                return;
            }
            first ??= producer.Id;
        }
        warnings.Add(new ConfigWarning(
            stage.OptionMarks.GetValueOrDefault("type", stage.Mark),
            $"stage '{stage.Id}' (parse_json): the source '{first}' already decodes JSON (decoding.codec: json), so parse_json on the whole event re-parses a parsed event; set decoding: {{ codec: text }} on the source, or parse a field with `field:`"));
    }

    /// <summary>
    /// A stage fed by an ordered source (a Kafka source's partitions) that sets a router other than key_affinity on the
    /// source's order key, with several isolates: one partition's records may then be handled out of order.
    /// </summary>
    private static void OrderLostByRouter(ComponentDraft stage, Dictionary<string, ComponentDraft> byId, List<ConfigWarning> warnings)
    {
        if (stage.Kind == ComponentKind.Source || stage.Stage.Isolates <= 1 || !stage.OptionMarks.TryGetValue("router", out var mark)
            || OrderKeyRouting.SharedOrderKey(stage, byId) is not { } key
            || (stage.Stage.Router == Isolates.RouterKind.KeyAffinity && key.Equals(stage.Stage.Key)))
        {
            return;
        }
        warnings.Add(new ConfigWarning(mark,
            $"'{stage.Id}' takes ordered input (its sources keep order by {key.Text}) but routes it across {stage.Stage.Isolates} isolates by another rule, so records of one partition may be handled out of order; leave router: unset (key_affinity on {key.Text} is the default here) or set isolates: 1"));
    }
}

using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Isolates.Buffers;

namespace Pipeline.Topology;

/// <summary>
/// What a reload changes, by component id: a component is unchanged when its YAML body (type, options, inputs, stage
/// settings) reads the same after <c>${VAR}</c> interpolation (<see cref="ComponentConfig.Fingerprint"/>).
/// </summary>
public sealed record TopologyDiff(
    IReadOnlyList<string> Added,
    IReadOnlyList<string> Removed,
    IReadOnlyList<string> Changed,
    IReadOnlyList<string> Unchanged)
{
    /// <summary>
    /// The only setting outside the topology a reload applies; every other one is read once at start-up (the admin
    /// listener, data_dir, the exporters, the memory limiter), so changing it is refused with "restart to apply".
    /// </summary>
    public const string LogLevelSetting = "telemetry.logs.level";

    /// <summary>True when no component is added, removed or changed.</summary>
    public bool ChangesNothing => Added.Count == 0 && Removed.Count == 0 && Changed.Count == 0;

    public static TopologyDiff Between(PipelineConfig running, PipelineConfig next)
    {
        ArgumentNullException.ThrowIfNull(running);
        ArgumentNullException.ThrowIfNull(next);
        var before = running.Components.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var after = next.Components.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        List<string> added = [], changed = [], unchanged = [];
        foreach (var component in next.Components)
        {
            if (!before.TryGetValue(component.Id, out var old))
            {
                added.Add(component.Id);
            }
            else if (IsSame(old, component))
            {
                unchanged.Add(component.Id);
            }
            else
            {
                changed.Add(component.Id);
            }
        }
        var removed = running.Components.Where(c => !after.Contains(c.Id)).Select(c => c.Id).ToList();
        return new TopologyDiff(added, removed, changed, unchanged);
    }

    /// <summary>
    /// Why <paramref name="next"/> cannot be applied without a restart, one sentence each naming the key; empty when it can.
    /// </summary>
    public IReadOnlyList<string> RestartRequired(PipelineConfig running, PipelineConfig next)
    {
        ArgumentNullException.ThrowIfNull(running);
        ArgumentNullException.ThrowIfNull(next);
        var reasons = new List<string>();
        foreach (var key in running.SettingFingerprints.Keys.Union(next.SettingFingerprints.Keys).Order(StringComparer.Ordinal))
        {
            if (key != LogLevelSetting
                && running.SettingFingerprints.GetValueOrDefault(key) != next.SettingFingerprints.GetValueOrDefault(key))
            {
                reasons.Add($"{next.File}: '{key}' changed, and it is read only at start-up: restart to apply");
            }
        }
        var before = running.Components.ToDictionary(c => c.Id, StringComparer.Ordinal);
        foreach (var component in next.Components.Where(c => Changed.Contains(c.Id)))
        {
            var old = before[component.Id];
            if (old.Kind != component.Kind)
            {
                reasons.Add($"{component.Mark}: '{component.Id}' changed from a {Noun(old.Kind)} to a {Noun(component.Kind)}: give it a new id, or restart to apply");
            }
            else if (HasDiskBuffer(old) || HasDiskBuffer(component))
            {
                // The replacement would open the buffer directory while the old sink still writes and reads it.
                reasons.Add($"{component.Mark}: sink '{component.Id}' changed and has a disk buffer (buffer.type: disk): restart to apply");
            }
        }
        return reasons;
    }

    private static bool IsSame(ComponentConfig old, ComponentConfig next)
        => ReferenceEquals(old, next)
            || (old.Kind == next.Kind && old.Fingerprint.Length > 0 && old.Fingerprint == next.Fingerprint);

    private static bool HasDiskBuffer(ComponentConfig component) => component.Stage.Buffer?.Type == BufferType.Disk;

    private static string Noun(ComponentKind kind) => RunningTopology.KindLabel(kind);
}

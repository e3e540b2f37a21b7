using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Isolates;

namespace Pipeline.Config;

/// <summary>
/// Keeps a source's order where it has one (<see cref="ISourceFactory.OrderKey"/>: a Kafka source's partition): a
/// stage or sink fed only by such sources, all naming the same field, and without a <c>router:</c> of its own, routes
/// by key affinity on that field. Each partition's records are then handled by one isolate, in order, while different
/// partitions run in parallel, which is what a consumer of a partitioned log needs and would otherwise have to know
/// to ask for.
/// </summary>
internal static class OrderKeyRouting
{
    public static void Apply(IReadOnlyList<ComponentDraft> components)
    {
        var byId = components.ToDictionary(c => c.Id, StringComparer.Ordinal);
        foreach (var component in components)
        {
            if (component.Kind != ComponentKind.Source
                && !component.OptionMarks.ContainsKey("router")
                && SharedOrderKey(component, byId) is { } key)
            {
                component.Stage.Router = RouterKind.KeyAffinity;
                component.Stage.Key = key;
            }
        }
    }

    /// <summary>The order key every input of <paramref name="component"/> names, when all are ordered sources naming the same one.</summary>
    public static FieldPath? SharedOrderKey(ComponentDraft component, IReadOnlyDictionary<string, ComponentDraft> byId)
    {
        FieldPath? shared = null;
        foreach (var input in component.Inputs)
        {
            if (!byId.TryGetValue(input.ComponentId, out var producer) || producer.Factory is not ISourceFactory { OrderKey: { } key })
            {
                return null;
            }
            if (shared is not null && shared.Text != key.Text)
            {
                return null;
            }
            shared = key;
        }
        return shared;
    }
}

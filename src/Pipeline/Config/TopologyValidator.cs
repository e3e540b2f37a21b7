using Pipeline.Components;

namespace Pipeline.Config;

/// <summary>
/// Checks the graph the <c>inputs:</c> lists draw: every input names a source or stage (and an existing named output),
/// there is no cycle, and every stage and sink is reached by some source.
/// </summary>
internal static class TopologyValidator
{
    public static void Validate(IReadOnlyList<ComponentDraft> components, List<ConfigError> errors)
    {
        var byId = components.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var consumers = components.ToDictionary(c => c.Id, _ => new List<ComponentDraft>(), StringComparer.Ordinal);
        foreach (var consumer in components)
        {
            var listed = new HashSet<string>(StringComparer.Ordinal);
            foreach (var input in consumer.Inputs)
            {
                if (!listed.Add(input.Text))
                {
                    errors.Add(new ConfigError(input.Mark, $"{consumer.Subject}: input '{input.Text}' is listed twice (expected each input once)"));
                    continue;
                }
                if (CheckInput(consumer, input, byId, errors) is { } producer)
                {
                    consumers[producer.Id].Add(consumer);
                }
                else
                {
                    consumer.HasInputErrors = true;
                }
            }
        }
        var inCycle = FindCycles(components, consumers, errors);
        ReportUnreached(components, consumers, inCycle, errors);
    }

    /// <returns>The producer when the reference is valid.</returns>
    private static ComponentDraft? CheckInput(ComponentDraft consumer, InputReference input, Dictionary<string, ComponentDraft> byId, List<ConfigError> errors)
    {
        if (!byId.TryGetValue(input.ComponentId, out var producer))
        {
            var candidates = byId.Values.Where(c => c.Kind != ComponentKind.Sink && c != consumer).Select(c => c.Id);
            var suggestion = SpellingSuggestion.Closest(input.ComponentId, candidates);
            if (suggestion is not null && input.Output is not null)
            {
                suggestion += "." + input.Output;
            }
            errors.Add(new ConfigError(input.Mark, $"{consumer.Subject}: unknown input '{input.Text}' (expected the id of a source or stage)", suggestion));
            return null;
        }
        if (producer.Kind == ComponentKind.Sink)
        {
            errors.Add(new ConfigError(input.Mark, $"{consumer.Subject}: input '{input.Text}' is a sink, and sinks have no outputs (expected a source or stage)"));
            return null;
        }
        var factory = producer.Factory as IProcessorFactory;
        if (input.Output is not null)
        {
            if (producer.Kind == ComponentKind.Source)
            {
                errors.Add(new ConfigError(input.Mark, $"{consumer.Subject}: input '{input.Text}' names an output of {producer.Subject}, but sources have no named outputs (expected '{producer.Id}')"));
                return null;
            }
            if (factory is not null && !factory.NamedOutputs.Contains(input.Output))
            {
                var outputs = factory.NamedOutputs;
                var expected = outputs.Count == 0
                    ? $"it has no named outputs; expected '{producer.Id}'"
                    : "expected one of " + string.Join(", ", outputs.Select(o => $"{producer.Id}.{o}"));
                var suggestion = SpellingSuggestion.Closest(input.Output, outputs);
                errors.Add(new ConfigError(
                    input.Mark,
                    $"{consumer.Subject}: '{input.Output}' is not a named output of {producer.Subject} ({expected})",
                    suggestion is null ? null : $"{producer.Id}.{suggestion}"));
                return null;
            }
        }
        else if (factory is { HasDefaultOutput: false })
        {
            errors.Add(new ConfigError(
                input.Mark,
                $"{consumer.Subject}: {producer.Subject} has no default output (expected one of its named outputs: {string.Join(", ", factory.NamedOutputs.Select(o => $"{producer.Id}.{o}"))})"));
            return null;
        }
        return producer;
    }

    /// <summary>Reports each cycle once, in data-flow order, at the mark of the member where the search entered it.</summary>
    private static HashSet<ComponentDraft> FindCycles(IReadOnlyList<ComponentDraft> components, Dictionary<string, List<ComponentDraft>> consumers, List<ConfigError> errors)
    {
        var inCycle = new HashSet<ComponentDraft>();
        var done = new HashSet<ComponentDraft>();
        var path = new List<ComponentDraft>();
        var onPath = new HashSet<ComponentDraft>();
        var reported = new HashSet<string>(StringComparer.Ordinal);

        void Visit(ComponentDraft node)
        {
            path.Add(node);
            onPath.Add(node);
            foreach (var next in consumers[node.Id])
            {
                if (onPath.Contains(next))
                {
                    var members = path.Skip(path.IndexOf(next)).ToList();
                    inCycle.UnionWith(members);
                    var key = string.Join(",", members.Select(m => m.Id).Order(StringComparer.Ordinal));
                    if (reported.Add(key))
                    {
                        var text = string.Join(" -> ", members.Append(next).Select(m => m.Id));
                        errors.Add(new ConfigError(next.Mark, $"cycle in the topology: {text} (expected events to flow from sources to sinks without coming back)"));
                    }
                }
                else if (!done.Contains(next))
                {
                    Visit(next);
                }
            }
            path.RemoveAt(path.Count - 1);
            onPath.Remove(node);
            done.Add(node);
        }

        foreach (var component in components)
        {
            if (!done.Contains(component))
            {
                Visit(component);
            }
        }
        return inCycle;
    }

    private static void ReportUnreached(IReadOnlyList<ComponentDraft> components, Dictionary<string, List<ComponentDraft>> consumers, HashSet<ComponentDraft> inCycle, List<ConfigError> errors)
    {
        var reached = Spread(components.Where(c => c.Kind == ComponentKind.Source), consumers);
        foreach (var component in components)
        {
            // For a member of a cycle, or a component whose own inputs were wrong, it would only repeat that error.
            if (component.Kind == ComponentKind.Source || reached.Contains(component) || component.HasInputErrors || inCycle.Contains(component))
            {
                continue;
            }
            var inputs = string.Join(", ", component.Inputs.Select(i => i.Text));
            errors.Add(new ConfigError(component.Mark, component.Kind == ComponentKind.Sink
                ? $"{component.Subject} receives nothing: no source reaches it through its inputs ({inputs})"
                : $"{component.Subject} is not reachable from any source through its inputs ({inputs})"));
        }
    }

    private static HashSet<ComponentDraft> Spread(IEnumerable<ComponentDraft> start, Dictionary<string, List<ComponentDraft>> consumers)
    {
        var seen = new HashSet<ComponentDraft>();
        var queue = new Queue<ComponentDraft>(start);
        while (queue.TryDequeue(out var node))
        {
            if (seen.Add(node))
            {
                foreach (var next in consumers[node.Id])
                {
                    queue.Enqueue(next);
                }
            }
        }
        return seen;
    }
}

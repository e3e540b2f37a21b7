using Pipeline.Components;
using Pipeline.Config;
using Pipeline.Isolates;
using Pipeline.Telemetry;

namespace Pipeline.Topology;

// Tap points (pipeline tap, docs/inspect.md): every output events leave a component by, named as in inputs:.
public sealed partial class RunningTopology
{
    /// <summary>What can be tapped: each source's id, each stage's id and its named outputs as <c>id.output</c>.</summary>
    public IReadOnlyList<string> TapPoints => [.. Outputs().Select(o => o.Name)];

    /// <summary>Taps attached now, on every output together.</summary>
    public int ActiveTaps => Outputs().Sum(o => o.Output.TapCount);

    /// <summary>
    /// Attaches a tap to the output <paramref name="tapPoint"/> names (<c>id</c> or <c>id.output</c>); null with
    /// <paramref name="refusal"/>, one line naming what can be tapped, when nothing by that name can be.
    /// </summary>
    public TapSession? Tap(string tapPoint, double sample, out string? refusal)
    {
        foreach (var (name, componentId, outputName, output) in Outputs())
        {
            if (name == tapPoint)
            {
                var instruments = _metrics.ForTap(_config.Name, name);
                refusal = null;
                return new TapSession(output, new EventTap(componentId, outputName, sample, instruments), instruments);
            }
        }
        var points = TapPoints;
        var sink = _pools.FirstOrDefault(p => p.Kind == ComponentKind.Sink && p.Id == tapPoint);
        if (sink is not null)
        {
            var feeding = _edges.Edges.Where(e => e.To == tapPoint).Select(e => e.Output is null ? e.From : $"{e.From}.{e.Output}");
            refusal = $"'{tapPoint}' is a sink: no events leave it; tap what feeds it: {string.Join(", ", feeding)}";
            return null;
        }
        var suggestion = SpellingSuggestion.Closest(tapPoint, points);
        refusal = $"nothing to tap named '{tapPoint}'{(suggestion is null ? "" : $" (did you mean '{suggestion}'?)")}; can be tapped: {string.Join(", ", points)}";
        return null;
    }

    private IEnumerable<(string Name, string ComponentId, string? OutputName, ComponentOutput Output)> Outputs()
    {
        foreach (var source in _sources)
        {
            yield return (source.Id, source.Id, null, source.Output);
        }
        foreach (var pool in _pools)
        {
            foreach (var output in pool.Outputs)
            {
                yield return (output.Name is null ? pool.Id : $"{pool.Id}.{output.Name}", pool.Id, output.Name, output);
            }
        }
    }
}

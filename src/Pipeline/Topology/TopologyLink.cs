using Pipeline.Config;
using Pipeline.Isolates;

namespace Pipeline.Topology;

/// <summary>One wired edge: a producer instance's output, the input entry that names it, and the consuming pool.</summary>
/// <param name="Producer">The <see cref="SupervisedSource"/> or <see cref="IsolatePool"/> that owns <paramref name="Output"/>.</param>
internal sealed record TopologyLink(object Producer, ComponentOutput Output, InputReference From, IsolatePool Consumer, string ConsumerId);

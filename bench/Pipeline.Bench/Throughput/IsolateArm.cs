using Pipeline.Components;

namespace Pipeline.Bench.Throughput;

/// <summary>One way of running <see cref="DigestRewrite"/> in a stage's isolates, for the isolates comparison.</summary>
/// <param name="Name">The name in the printed lines and in <c>--arms</c>.</param>
/// <param name="Label">The name in the table.</param>
/// <param name="CreateFactory">The stage's factory, given a scratch data directory.</param>
internal sealed record IsolateArm(string Name, string Label, Func<string, IProcessorFactory> CreateFactory);

using Pipeline.Components;

namespace Pipeline.Sources;

public sealed class GeneratorSourceFactory : ISourceFactory
{
    private const int MaxDistinct = 1 << 20;

    private readonly GeneratorSourceOptions _options;

    public GeneratorSourceFactory(GeneratorSourceOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        if (!double.IsFinite(options.Rate) || options.Rate < 0)
        {
            throw new ComponentBuildException("rate", $"expected events per second, 0 or more (0 = as fast as possible), found {options.Rate}");
        }
        if (options.Count < 0)
        {
            throw new ComponentBuildException("count", $"expected 0 (unlimited) or more, found {options.Count}");
        }
        if (options.Distinct is < 1 or > MaxDistinct)
        {
            throw new ComponentBuildException("distinct", $"expected between 1 and {MaxDistinct}, found {options.Distinct}");
        }
        _options = options;
    }

    public ISource Create()
    {
        var seed = _options.Seed ?? Random.Shared.Next();
        var epoch = _options.Seed is null ? DateTime.UtcNow : SyntheticLogRecords.ReproducibleEpoch;
        var payloads = SyntheticLogRecords.Render(_options.Shape, _options.Distinct, seed, epoch);
        return new GeneratorSource(payloads, _options.Rate, _options.Count, TimeProvider.System);
    }
}

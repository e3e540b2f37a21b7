using Pipeline.Components;

namespace Pipeline.Sources;

public sealed class StdinSourceFactory : ISourceFactory
{
    private readonly int _maxLine;

    public StdinSourceFactory(StdinSourceOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        if (options.MaxLine.Bytes <= 0 || options.MaxLine.Bytes >= Array.MaxLength)
        {
            throw new ComponentBuildException("max_line", $"expected a size between 1 byte and 2GiB, found {options.MaxLine.Bytes} bytes");
        }
        _maxLine = (int)options.MaxLine.Bytes;
    }

    public ISource Create() => new StdinSource(Console.OpenStandardInput(), _maxLine);
}

namespace Pipeline.Components;

public interface ISourceFactory
{
    ISource Create();
}

namespace Pipeline.Components;

public interface ISinkFactory
{
    ISink CreateForIsolate(int isolateIndex);
}

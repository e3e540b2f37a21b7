namespace Pipeline.Components;

public interface ISinkFactory
{
    /// <summary>
    /// True for a sink that delivers over the network (HTTP, a database): its delivery spans are of kind client,
    /// as OpenTelemetry's conventions ask for outgoing calls; other sinks' spans are internal.
    /// </summary>
    bool DeliversOverNetwork => false;

    ISink CreateForIsolate(int isolateIndex);
}

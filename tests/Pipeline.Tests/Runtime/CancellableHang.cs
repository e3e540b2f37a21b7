namespace Pipeline.Tests.Runtime;

/// <summary>A processor that never finishes an event until the runtime cancels it (the hard stop after the shutdown timeout).</summary>
internal sealed class CancellableHang
{
    public DelegateProcessorFactory Factory { get; } = new(async (evt, output, _, cancellationToken) =>
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        output.Emit(evt);
    });
}

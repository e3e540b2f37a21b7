namespace Pipeline.Tests.Runtime;

/// <summary>A pass-through processor that holds every event until <see cref="Release"/>; says when the first arrived.</summary>
internal sealed class HeldProcessor
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HeldProcessor()
    {
        Factory = new DelegateProcessorFactory(async (evt, output, _) =>
        {
            _entered.TrySetResult();
            await _released.Task;
            output.Emit(evt);
        });
    }

    public DelegateProcessorFactory Factory { get; }

    /// <summary>Completes when an isolate is inside the processor with an event.</summary>
    public Task Entered => _entered.Task;

    public void Release() => _released.TrySetResult();
}

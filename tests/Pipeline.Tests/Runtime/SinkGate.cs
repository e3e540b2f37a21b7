namespace Pipeline.Tests.Runtime;

/// <summary>A recording sink whose writes wait until the test releases them; <see cref="Entered"/> says the first one arrived.</summary>
internal sealed class SinkGate
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SinkGate()
        => Sink = new RecordingSink
        {
            BeforeWrite = async (_, _) =>
            {
                _entered.TrySetResult();
                await _release.Task;
            },
        };

    public RecordingSink Sink { get; }

    public Task Entered => _entered.Task;

    public void Release() => _release.TrySetResult();
}

using Pipeline.Events;

namespace Pipeline.Tests.Runtime;

/// <summary>
/// Two processors that meet while both hold their copy of the same event (so neither copy has been released yet):
/// the left one changes its copy, then the right one looks at its own.
/// </summary>
internal sealed class PairedInspection
{
    private static readonly FieldPath Tag = FieldPath.Parse(".tag");
    private readonly TaskCompletionSource<Event> _left = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<Event> _right = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _leftChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<(bool Same, bool SawChange)> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PairedInspection()
    {
        Left = new DelegateProcessorFactory(async (evt, output, _) =>
        {
            _left.TrySetResult(evt);
            await _right.Task.WaitAsync(TestPipeline.HangGuard);
            evt.SetString(Tag, "changed by left");
            _leftChanged.TrySetResult();
            output.Emit(evt);
        });
        Right = new DelegateProcessorFactory(async (evt, output, _) =>
        {
            _right.TrySetResult(evt);
            var left = await _left.Task.WaitAsync(TestPipeline.HangGuard);
            await _leftChanged.Task.WaitAsync(TestPipeline.HangGuard);
            _result.TrySetResult((ReferenceEquals(left, evt), evt.Exists(Tag)));
            output.Emit(evt);
        });
    }

    public DelegateProcessorFactory Left { get; }

    public DelegateProcessorFactory Right { get; }

    /// <summary>Whether both held the same instance, and whether the right one saw the left one's change.</summary>
    public Task<(bool Same, bool SawChange)> Result => _result.Task;
}

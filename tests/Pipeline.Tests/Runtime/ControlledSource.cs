using Pipeline.Components;

namespace Pipeline.Tests.Runtime;

/// <summary>
/// A source the test drives: it publishes its <see cref="ISourceContext"/>, then runs until the test calls
/// <see cref="Finish"/> (it returns on its own) or the topology stops it.
/// </summary>
internal sealed class ControlledSource : ISourceFactory, ISource
{
    private readonly TaskCompletionSource<ISourceContext> _context = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _finish = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<ISourceContext> Context => _context.Task;

    public ISource Create() => this;

    public void Finish() => _finish.TrySetResult();

    public async Task RunAsync(ISourceContext context, CancellationToken stopping)
    {
        _context.TrySetResult(context);
        try
        {
            await _finish.Task.WaitAsync(stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }
}

using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Sinks.Otlp;

/// <summary>
/// Sends each batch as one OTLP ExportLogsServiceRequest, every event a log record carrying its trace context (so
/// logs join their traces in the backend). Failures throw what the runtime retries or dead-letters
/// (<see cref="IOtlpLogsTransport"/>); a partial success is reported to the factory, which counts and logs it.
/// </summary>
internal sealed class OtlpSink(OtlpLogEncoder encoder, IOtlpLogsTransport transport, OtlpSinkFactory owner) : ITracePropagatingSink
{
    public ValueTask WriteAsync(IReadOnlyList<Event> batch, CancellationToken cancellationToken)
        => WriteAsync(batch, [], cancellationToken);

    public async ValueTask WriteAsync(IReadOnlyList<Event> batch, IReadOnlyList<ActivityContext> traceContexts, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }
        var request = encoder.Encode(batch, traceContexts);
        var answer = await transport.ExportAsync(request, cancellationToken).ConfigureAwait(false);
        if (!answer.IsEmpty)
        {
            owner.ReportPartialSuccess(answer, batch.Count);
        }
    }

    /// <summary>Each write returns once the receiver answered: nothing is left to flush.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        (transport as IDisposable)?.Dispose();
        return ValueTask.CompletedTask;
    }
}

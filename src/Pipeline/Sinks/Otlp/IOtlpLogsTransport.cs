namespace Pipeline.Sinks.Otlp;

/// <summary>
/// One isolate's way to send one encoded ExportLogsServiceRequest over gRPC or HTTP. A success returns the receiver's partial_success
/// (empty for a full one); a failure throws what the runtime acts on: <see cref="Components.RetryableFailureException"/>
/// (with the receiver's delay when it gave one) for what the OTLP specification calls retryable,
/// <see cref="Components.PermanentFailureException"/> for the rest.
/// </summary>
internal interface IOtlpLogsTransport
{
    Task<OtlpPartialSuccess> ExportAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken);
}

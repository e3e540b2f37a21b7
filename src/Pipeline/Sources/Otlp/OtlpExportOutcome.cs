namespace Pipeline.Sources.Otlp;

/// <summary>What became of one export request, for gRPC and HTTP to answer each in its own terms.</summary>
internal enum OtlpExportOutcome
{
    /// <summary>Every record is in the pipeline (with acknowledgements: delivered), but those counted as rejected.</summary>
    Accepted,

    /// <summary>No room downstream within backpressure_timeout: nothing was accepted (429 / RESOURCE_EXHAUSTED).</summary>
    Backpressure,

    /// <summary>The pipeline is stopping (or was part-way through the request): retry, elsewhere or later (503 / UNAVAILABLE).</summary>
    ShuttingDown,

    /// <summary>With acknowledgements: not all records were delivered within acknowledgements_timeout (503 / UNAVAILABLE).</summary>
    NotAcknowledged,
}

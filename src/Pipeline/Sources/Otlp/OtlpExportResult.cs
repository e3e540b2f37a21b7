namespace Pipeline.Sources.Otlp;

/// <param name="Outcome">What became of the request.</param>
/// <param name="Rejected">Records that will not be delivered (could not become events, or dead-lettered): OTLP's partial_success.rejected_log_records.</param>
/// <param name="Message">Why, for the answer: partial_success.error_message, or the status message.</param>
internal readonly record struct OtlpExportResult(OtlpExportOutcome Outcome, long Rejected, string? Message);

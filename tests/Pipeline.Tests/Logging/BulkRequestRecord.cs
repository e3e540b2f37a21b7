namespace Pipeline.Tests.Logging;

/// <param name="PathAndQuery">Such as /logs-pipeline-default/_bulk.</param>
/// <param name="Body">The NDJSON body as sent.</param>
internal sealed record BulkRequestRecord(string Method, string PathAndQuery, string ContentType, string Body);

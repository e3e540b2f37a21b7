namespace Pipeline.Tests.Elasticsearch;

/// <param name="Headers">Request headers, names case-insensitive.</param>
/// <param name="Items">The operations, in body order; empty when the request was answered as a whole.</param>
/// <param name="Status">The status the whole request was answered with.</param>
internal sealed record BulkRequest(IReadOnlyDictionary<string, string> Headers, IReadOnlyList<BulkItem> Items, int Status);

using System.Buffers;
using System.Diagnostics;
using System.IO.Hashing;
using Pipeline.Events;

namespace Pipeline.Sinks.Otlp;

/// <summary>
/// Encodes a batch of events as one OTLP ExportLogsServiceRequest (protobuf), records grouped by resource and then by
/// scope, each group in the batch's order. docs/otlp.md, "The otlp sink", has the mapping table.
/// </summary>
/// <remarks>
/// One instance per sink isolate: every buffer is reused, so a batch costs no allocation once they have grown.
/// Grouping is two passes: the first reduces each event's resource and scope to a fingerprint (the bytes they are
/// made from) and numbers the distinct ones; a sort of (resource, scope, index) keys then lets the second pass write
/// each ResourceLogs and ScopeLogs once, with the resource and scope taken from the first event of the group.
/// </remarks>
internal sealed partial class OtlpLogEncoder(FieldPath? severityField, TimeProvider time)
{
    // Batches are at most 100,000 events (batch_size's bound), so an index, a scope number and a resource number
    // each fit 20 bits of a sort key.
    private const int IndexBits = 20;
    private const long IndexMask = (1L << IndexBits) - 1;

    private readonly ProtobufWriter _writer = new();
    private readonly ArrayBufferWriter<byte> _scratch = new(1024);
    private readonly ArrayBufferWriter<byte> _fingerprints = new(4096);
    private readonly List<Fingerprint> _resources = [];
    private readonly List<Fingerprint> _scopes = [];
    private readonly Dictionary<ulong, int> _resourceByHash = [];
    private readonly Dictionary<ulong, int> _scopeByHash = [];
    private long[] _keys = new long[64];
    private byte[] _key = new byte[256];
    private ulong _observedNow;

    /// <summary>The request for <paramref name="batch"/>, valid until the next call.</summary>
    /// <param name="traceContexts">Per event, its outgoing trace context (default: none); may be shorter than the batch.</param>
    public ReadOnlyMemory<byte> Encode(IReadOnlyList<Event> batch, IReadOnlyList<ActivityContext> traceContexts)
    {
        _writer.Reset();
        _fingerprints.ResetWrittenCount();
        _resources.Clear();
        _scopes.Clear();
        _resourceByHash.Clear();
        _scopeByHash.Clear();
        if (_keys.Length < batch.Count)
        {
            _keys = new long[Math.Max(batch.Count, _keys.Length * 2)];
        }
        // One clock read per batch: a record without observed_timestamp was observed when its batch was sent.
        _observedNow = (ulong)((time.GetUtcNow() - DateTimeOffset.UnixEpoch).Ticks * 100);
        for (var i = 0; i < batch.Count; i++)
        {
            var root = batch[i].Root;
            var resource = Number(_resources, _resourceByHash, ResourceFingerprint(root));
            var scope = Number(_scopes, _scopeByHash, ScopeFingerprint(root));
            _keys[i] = (long)resource << (2 * IndexBits) | (long)scope << IndexBits | (long)i;
        }
        var keys = _keys.AsSpan(0, batch.Count);
        keys.Sort();

        var at = 0;
        while (at < keys.Length)
        {
            var resource = keys[at] >> (2 * IndexBits);
            var resourceLogs = _writer.BeginMessage(1);
            WriteResource(batch[(int)(keys[at] & IndexMask)].Root);
            while (at < keys.Length && keys[at] >> (2 * IndexBits) == resource)
            {
                var scope = keys[at] >> IndexBits;
                var scopeLogs = _writer.BeginMessage(2);
                WriteScope(batch[(int)(keys[at] & IndexMask)].Root);
                for (; at < keys.Length && keys[at] >> IndexBits == scope; at++)
                {
                    var index = (int)(keys[at] & IndexMask);
                    WriteRecord(batch[index].Root, index < traceContexts.Count ? traceContexts[index] : default);
                }
                _writer.EndMessage(scopeLogs);
            }
            _writer.EndMessage(resourceLogs);
        }
        return _writer.Written;
    }

    /// <summary>The number of the group with this fingerprint, a new one when there is none yet.</summary>
    private int Number(List<Fingerprint> groups, Dictionary<ulong, int> byHash, ReadOnlySpan<byte> fingerprint)
    {
        var hash = XxHash3.HashToUInt64(fingerprint);
        if (byHash.TryGetValue(hash, out var known))
        {
            if (Matches(groups[known], fingerprint))
            {
                return known;
            }
            // Two fingerprints with one 64-bit hash: never seen in practice, but then every group is compared.
            for (var g = 0; g < groups.Count; g++)
            {
                if (groups[g].Hash == hash && Matches(groups[g], fingerprint))
                {
                    return g;
                }
            }
        }
        var start = _fingerprints.WrittenCount;
        _fingerprints.Write(fingerprint);
        groups.Add(new Fingerprint(hash, start, fingerprint.Length));
        byHash.TryAdd(hash, groups.Count - 1);
        return groups.Count - 1;
    }

    private bool Matches(Fingerprint group, ReadOnlySpan<byte> fingerprint)
        => _fingerprints.WrittenSpan.Slice(group.Start, group.Length).SequenceEqual(fingerprint);

    private ReadOnlySpan<byte> ScopeFingerprint(EventValue root)
    {
        _scratch.ResetWrittenCount();
        if (root.TryGetMember(ScopeKey, out var scope) && scope.Kind == EventValueKind.Object)
        {
            scope.WriteUtf8(_scratch);
        }
        return _scratch.WrittenSpan;
    }

    /// <summary>A key made of two parts (a prefix and a label's name), in a buffer reused for it.</summary>
    private ReadOnlySpan<byte> Concat(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> name)
    {
        if (_key.Length < prefix.Length + name.Length)
        {
            _key = new byte[prefix.Length + name.Length];
        }
        prefix.CopyTo(_key);
        name.CopyTo(_key.AsSpan(prefix.Length));
        return _key.AsSpan(0, prefix.Length + name.Length);
    }

    private readonly record struct Fingerprint(ulong Hash, int Start, int Length);
}

using System.Buffers;
using System.Diagnostics;
using Pipeline.Events;

namespace Pipeline.Sinks.Elasticsearch;

/// <summary>
/// One batch as a <c>_bulk</c> body: per event an action line (<c>{"create":{"_index":…,"_id":…}}</c>) and its
/// document, in one reused buffer, with the batch index of each item so the answer's items map back to events.
/// An event whose index or _id cannot be made is left out with the reason. One per sink isolate; not thread-safe.
/// </summary>
internal sealed class ElasticsearchBulkBody(ElasticsearchIndexTemplate index, bool create, FieldPath? idField, ElasticsearchDocumentWriter documents)
{
    /// <summary>Elasticsearch's limit on a document _id, in bytes.</summary>
    private const int MaxIdLength = 512;

    private readonly ArrayBufferWriter<byte> _body = new(64 * 1024);
    private readonly ArrayBufferWriter<byte> _document = new(4096);
    private readonly ArrayBufferWriter<byte> _name = new(ElasticsearchIndexTemplate.MaxNameLength + 1);
    private readonly ArrayBufferWriter<byte> _id = new(MaxIdLength + 2);

    // Per bulk item, in body order: the event's index in the batch, and whether its action line named an _id.
    private readonly List<int> _batchIndexes = [];
    private readonly List<bool> _withId = [];

    public bool Creates => create;

    public ReadOnlyMemory<byte> Written => _body.WrittenMemory;

    /// <summary>How many items the body holds.</summary>
    public int Count => _batchIndexes.Count;

    public int BatchIndexOf(int item) => _batchIndexes[item];

    public bool HasId(int item) => _withId[item];

    public void Clear()
    {
        _body.ResetWrittenCount();
        _batchIndexes.Clear();
        _withId.Clear();
    }

    /// <summary>Appends the event's action line and document; false with <paramref name="reason"/> when it cannot go.</summary>
    public bool TryAppend(Event evt, int batchIndex, ActivityContext trace, out string? reason)
    {
        _name.ResetWrittenCount();
        if (!index.TryRender(evt, _name, out reason) || !TryRenderId(evt, out reason))
        {
            return false;
        }
        // The document first, into its own buffer: an event that turns out not to be JSON fails here, before the
        // body holds half of it.
        _document.ResetWrittenCount();
        documents.Write(evt, trace, _document);

        _body.Write(create ? "{\"create\":{\"_index\":\""u8 : "{\"index\":{\"_index\":\""u8);
        _body.Write(_name.WrittenSpan);
        _body.Write("\""u8);
        if (_id.WrittenCount > 0)
        {
            _body.Write(",\"_id\":"u8);
            _body.Write(_id.WrittenSpan);
        }
        _body.Write("}}\n"u8);
        _body.Write(_document.WrittenSpan);
        _body.Write("\n"u8);
        _batchIndexes.Add(batchIndex);
        _withId.Add(_id.WrittenCount > 0);
        return true;
    }

    private bool TryRenderId(Event evt, out string? reason)
    {
        reason = null;
        _id.ResetWrittenCount();
        if (idField is null)
        {
            return true;
        }
        var value = evt.Get(idField);
        switch (value.Kind)
        {
            case EventValueKind.Missing or EventValueKind.Null:
                // Elasticsearch makes an _id: the document is written, only a retry of it may be written twice.
                return true;
            case EventValueKind.String:
                Event.WriteJson(value, _id);
                break;
            case EventValueKind.Number:
                _id.Write("\""u8);
                value.WriteUtf8(_id);
                _id.Write("\""u8);
                break;
            default:
                reason = $"id_field {idField} is {Event.Describe(value.Kind)}, expected a string or a number for the document _id";
                return false;
        }
        if (_id.WrittenCount > MaxIdLength + 2)
        {
            reason = $"id_field {idField} is longer than Elasticsearch's {MaxIdLength} bytes for a document _id";
            return false;
        }
        return true;
    }
}

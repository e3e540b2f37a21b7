using System.Diagnostics;
using Pipeline.Events;

namespace Pipeline.Sinks.Otlp;

// One LogRecord: which top-level field becomes which of its fields, and every other field an attribute.
internal sealed partial class OtlpLogEncoder
{
    private static ReadOnlySpan<byte> MessageKey => "message"u8;
    private static ReadOnlySpan<byte> SeverityTextKey => "severity_text"u8;
    private static ReadOnlySpan<byte> LevelKey => "level"u8;
    private static ReadOnlySpan<byte> SeverityNumberKey => "severity_number"u8;
    private static ReadOnlySpan<byte> TimestampKey => "timestamp"u8;
    private static ReadOnlySpan<byte> AtTimestampKey => "@timestamp"u8;
    private static ReadOnlySpan<byte> ObservedTimestampKey => "observed_timestamp"u8;
    private static ReadOnlySpan<byte> AttributesKey => "attributes"u8;
    private static ReadOnlySpan<byte> ResourcesKey => "resources"u8;
    private static ReadOnlySpan<byte> ScopeKey => "scope"u8;
    private static ReadOnlySpan<byte> FlagsKey => "flags"u8;
    private static ReadOnlySpan<byte> DroppedAttributesCountKey => "dropped_attributes_count"u8;

    private enum Role
    {
        Attribute,
        Body,
        SeverityText,
        SeverityNumber,
        Time,
        ObservedTime,
        Attributes,
        Resource,
        Scope,
        Flags,
        DroppedAttributesCount,
    }

    private void WriteRecord(EventValue root, ActivityContext trace)
    {
        var record = _writer.BeginMessage(2);
        var severityKey = SeverityKeyOf(root, out var severityText);
        var derivedResource = !HasResourcesObject(root);
        var time = 0UL;
        var observed = 0UL;
        var severityNumber = 0;
        var flags = 0U;
        var body = EventValue.Missing;
        var attributes = EventValue.Missing;
        var dropped = 0L;
        var members = root.EnumerateMembers();
        while (members.MoveNext())
        {
            var key = members.Key;
            var value = members.Current;
            switch (RoleOf(key, value, severityKey, derivedResource))
            {
                case Role.Body:
                    body = value;
                    break;
                case Role.SeverityNumber when value.TryGetInt64(out var number) && number is >= 1 and <= 24:
                    severityNumber = (int)number;
                    break;
                case Role.Time when time == 0 && value.TryGetUtf8(out var text) && Rfc3339Timestamp.TryParseUnixNanos(text, out var nanos):
                    time = nanos;
                    break;
                case Role.ObservedTime when value.TryGetUtf8(out var text) && Rfc3339Timestamp.TryParseUnixNanos(text, out var nanos):
                    observed = nanos;
                    break;
                case Role.Attributes:
                    attributes = value;
                    break;
                case Role.Flags when value.TryGetInt64(out var number) && number is >= 0 and <= uint.MaxValue:
                    flags = (uint)number;
                    break;
                case Role.DroppedAttributesCount when value.TryGetInt64(out var number) && number is >= 0 and <= uint.MaxValue:
                    dropped = number;
                    break;
                case Role.SeverityText or Role.Resource or Role.Scope:
                    break;
                default:
                    WriteKeyValue(6, key, value);
                    break;
            }
        }
        if (attributes.Kind == EventValueKind.Object)
        {
            var extra = attributes.EnumerateMembers();
            while (extra.MoveNext())
            {
                var key = extra.Key;
                var value = extra.Current;
                // Keys are unique in OTLP: a top-level field of the same name (set by a stage on the way) wins.
                if (!root.TryGetMember(key, out var topLevel) || RoleOf(key, topLevel, severityKey, derivedResource) != Role.Attribute)
                {
                    WriteKeyValue(6, key, value);
                }
            }
        }
        if (time != 0)
        {
            _writer.Fixed64Field(1, time);
        }
        _writer.Fixed64Field(11, observed != 0 ? observed : _observedNow);
        if (severityNumber == 0 && !severityText.IsEmpty)
        {
            severityNumber = OtlpSeverity.FromText(severityText);
        }
        if (severityNumber != 0)
        {
            _writer.VarintField(2, (ulong)severityNumber);
        }
        if (!severityText.IsEmpty)
        {
            _writer.BytesField(3, severityText);
        }
        if (!body.IsMissing)
        {
            WriteAnyValue(5, body);
        }
        if (dropped != 0)
        {
            _writer.VarintField(7, (ulong)dropped);
        }
        if (trace.TraceId != default)
        {
            // The record's flags are its trace's: W3C trace flags in the low byte (sampled is bit 0).
            _writer.Fixed32Field(8, (uint)trace.TraceFlags);
            Span<byte> id = stackalloc byte[16];
            trace.TraceId.CopyTo(id);
            _writer.BytesField(9, id);
            trace.SpanId.CopyTo(id[..8]);
            _writer.BytesField(10, id[..8]);
        }
        else if (flags != 0)
        {
            _writer.Fixed32Field(8, flags);
        }
        _writer.EndMessage(record);
    }

    /// <summary>
    /// The top-level key the severity text comes from (empty when it comes from a nested severity_field, or there is
    /// none), and the text. Without severity_field: severity_text, else level.
    /// </summary>
    private ReadOnlySpan<byte> SeverityKeyOf(EventValue root, out ReadOnlySpan<byte> text)
    {
        if (severityField is not null)
        {
            var value = severityField.Segments.Count == 1 && severityField.Segments[0].Key is not null
                ? root.TryGetMember(severityField.Segments[0].KeyUtf8, out var member) ? member : EventValue.Missing
                : root.Owner!.Get(severityField);
            if (!value.TryGetUtf8(out text))
            {
                text = default;
                return default;
            }
            return severityField.Segments.Count == 1 ? severityField.Segments[0].KeyUtf8 : default;
        }
        if (root.TryGetMember(SeverityTextKey, out var severity) && severity.TryGetUtf8(out text))
        {
            return SeverityTextKey;
        }
        if (root.TryGetMember(LevelKey, out var level) && level.TryGetUtf8(out text))
        {
            return LevelKey;
        }
        text = default;
        return default;
    }

    private static bool HasResourcesObject(EventValue root)
        => root.TryGetMember(ResourcesKey, out var resources) && resources.Kind == EventValueKind.Object;

    /// <summary>What a top-level field becomes. A field of a kind its role cannot take (a numeric message is fine, an attributes that is no object is not) is an attribute.</summary>
    private static Role RoleOf(ReadOnlySpan<byte> key, EventValue value, ReadOnlySpan<byte> severityKey, bool derivedResource)
    {
        if (key.SequenceEqual(MessageKey))
        {
            return Role.Body;
        }
        if (!severityKey.IsEmpty && key.SequenceEqual(severityKey))
        {
            return Role.SeverityText;
        }
        var kind = value.Kind;
        if (kind == EventValueKind.Number && (key.SequenceEqual(SeverityNumberKey) || key.SequenceEqual(FlagsKey) || key.SequenceEqual(DroppedAttributesCountKey)))
        {
            return key[0] == 's' ? Role.SeverityNumber : key[0] == 'f' ? Role.Flags : Role.DroppedAttributesCount;
        }
        if (kind == EventValueKind.String && (key.SequenceEqual(TimestampKey) || key.SequenceEqual(AtTimestampKey) || key.SequenceEqual(ObservedTimestampKey))
            && value.TryGetUtf8(out var text) && Rfc3339Timestamp.TryParseUnixNanos(text, out _))
        {
            return key[0] == 'o' ? Role.ObservedTime : Role.Time;
        }
        if (kind == EventValueKind.Object)
        {
            if (key.SequenceEqual(AttributesKey))
            {
                return Role.Attributes;
            }
            if (key.SequenceEqual(ResourcesKey))
            {
                return Role.Resource;
            }
            if (key.SequenceEqual(ScopeKey))
            {
                return Role.Scope;
            }
        }
        return derivedResource && IsResourceSource(key, value) ? Role.Resource : Role.Attribute;
    }

    private void WriteKeyValue(int field, ReadOnlySpan<byte> key, EventValue value)
    {
        var keyValue = _writer.BeginMessage(field);
        _writer.BytesField(1, key);
        WriteAnyValue(2, value);
        _writer.EndMessage(keyValue);
    }

    private void WriteKeyValue(int field, ReadOnlySpan<byte> key, ReadOnlySpan<byte> text)
    {
        var keyValue = _writer.BeginMessage(field);
        _writer.BytesField(1, key);
        var anyValue = _writer.BeginMessage(2);
        _writer.BytesField(1, text);
        _writer.EndMessage(anyValue);
        _writer.EndMessage(keyValue);
    }

    /// <summary>An AnyValue: strings, booleans, integers (a number written without fraction or exponent), doubles, kvlists and arrays; null is the empty AnyValue.</summary>
    private void WriteAnyValue(int field, EventValue value)
    {
        var anyValue = _writer.BeginMessage(field);
        switch (value.Kind)
        {
            case EventValueKind.String:
                value.TryGetUtf8(out var text);
                _writer.BytesField(1, text);
                break;
            case EventValueKind.Boolean:
                value.TryGetBoolean(out var flag);
                _writer.BoolField(2, flag);
                break;
            case EventValueKind.Number:
                value.TryGetNumberText(out var number);
                if (number.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0 && value.TryGetInt64(out var integer))
                {
                    _writer.Int64Field(3, integer);
                }
                else
                {
                    value.TryGetDouble(out var real);
                    _writer.DoubleField(4, real);
                }
                break;
            case EventValueKind.Object:
                var list = _writer.BeginMessage(6);
                var members = value.EnumerateMembers();
                while (members.MoveNext())
                {
                    WriteKeyValue(1, members.Key, members.Current);
                }
                _writer.EndMessage(list);
                break;
            case EventValueKind.Array:
                var array = _writer.BeginMessage(5);
                var elements = value.EnumerateMembers();
                while (elements.MoveNext())
                {
                    WriteAnyValue(1, elements.Current);
                }
                _writer.EndMessage(array);
                break;
        }
        _writer.EndMessage(anyValue);
    }
}

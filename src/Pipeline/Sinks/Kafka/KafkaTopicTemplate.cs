using System.Buffers;
using System.Text;
using Pipeline.Events;
using Pipeline.Processors;

namespace Pipeline.Sinks.Kafka;

/// <summary>
/// A kafka sink's <c>topic</c>, rendered per event and checked against Kafka's rules for a topic name. One per sink
/// isolate: it reuses its buffers and keeps the names it has made, so a template with a few distinct topics costs no
/// string per event. Not thread-safe.
/// </summary>
internal sealed class KafkaTopicTemplate
{
    /// <summary>Kafka's limit (kafka.common.internals.Topic.MAX_NAME_LENGTH).</summary>
    private const int MaxNameLength = 249;

    /// <summary>Distinct topics kept; past it (a template over a high-cardinality field) each render makes its string.</summary>
    private const int MaxKeptNames = 1024;

    private const string LegalCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
    private static readonly SearchValues<char> LegalChars = SearchValues.Create(LegalCharacters);
    private static readonly SearchValues<byte> LegalBytes = SearchValues.Create(Encoding.ASCII.GetBytes(LegalCharacters));

    private readonly FieldTemplate _template;
    private readonly string? _literal;
    private readonly ArrayBufferWriter<byte> _rendered = new(MaxNameLength + 1);
    private readonly char[] _name = new char[MaxNameLength];
    private readonly Dictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _namesBySpan;

    public KafkaTopicTemplate(FieldTemplate template)
    {
        _template = template;
        _literal = template.Fields.Count == 0 ? template.Text : null;
        _namesBySpan = _names.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>True for a name Kafka accepts: 1 to 249 of a-z A-Z 0-9 . _ -, and neither "." nor "..".</summary>
    public static bool IsValidName(ReadOnlySpan<char> name)
        => name.Length is > 0 and <= MaxNameLength && !name.ContainsAnyExcept(LegalChars) && name is not "." and not "..";

    /// <summary>The event's topic; null with <paramref name="reason"/> set when a field is missing or the result is no topic name.</summary>
    public string? Render(Event evt, out string? reason)
    {
        reason = null;
        if (_literal is not null)
        {
            return _literal;
        }
        foreach (var field in _template.Fields)
        {
            if (evt.Get(field).Kind is EventValueKind.Missing or EventValueKind.Null)
            {
                reason = $"topic template \"{_template.Text}\" needs {field}, and the event has none";
                return null;
            }
        }
        _rendered.ResetWrittenCount();
        _template.Render(evt, _rendered);
        var bytes = _rendered.WrittenSpan;
        if (bytes.Length is 0 or > MaxNameLength || bytes.ContainsAnyExcept(LegalBytes) || bytes is [(byte)'.'] or [(byte)'.', (byte)'.'])
        {
            var rendered = Encoding.UTF8.GetString(bytes[..Math.Min(bytes.Length, MaxNameLength + 1)]);
            reason = $"topic template \"{_template.Text}\" made '{rendered}', which is not a Kafka topic name (1 to {MaxNameLength} of a-z A-Z 0-9 . _ -)";
            return null;
        }
        // All ASCII by now, so each byte is one char.
        var name = _name.AsSpan(0, bytes.Length);
        Encoding.ASCII.GetChars(bytes, name);
        if (_namesBySpan.TryGetValue(name, out var kept))
        {
            return kept;
        }
        var made = new string(name);
        if (_names.Count < MaxKeptNames)
        {
            _names.Add(made, made);
        }
        return made;
    }
}

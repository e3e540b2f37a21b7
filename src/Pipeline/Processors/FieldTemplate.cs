using System.Buffers;
using System.Text;
using Pipeline.Events;

namespace Pipeline.Processors;

/// <summary>
/// A <c>remap</c> template: literal text with <c>{{ .path }}</c> placeholders, split once at build time.
/// </summary>
/// <remarks>
/// Hand-written because the whole grammar is "text, {{, a field path, }}": a template engine (Scriban, Handlebars)
/// would bring its own path syntax and allocate per render. Rendering writes bytes into a reused buffer.
/// </remarks>
public sealed class FieldTemplate
{
    private readonly Part[] _parts;

    private FieldTemplate(string text, Part[] parts)
    {
        Text = text;
        _parts = parts;
        SingleField = parts is [{ Field: { } only }] ? only : null;
        Fields = [.. parts.Where(p => p.Field is not null).Select(p => p.Field!)];
    }

    public string Text { get; }

    /// <summary>Set when the template is exactly one placeholder: the value is copied with its JSON type.</summary>
    public FieldPath? SingleField { get; }

    /// <summary>Every placeholder's field, in order; empty for a template that is all literal text.</summary>
    public IReadOnlyList<FieldPath> Fields { get; }

    /// <summary>Splits <paramref name="text"/>; throws <see cref="FormatException"/> naming the position of a bad placeholder.</summary>
    public static FieldTemplate Parse(string text)
    {
        var parts = new List<Part>();
        var i = 0;
        while (i < text.Length)
        {
            var open = text.IndexOf("{{", i, StringComparison.Ordinal);
            if (open < 0)
            {
                parts.Add(new Part(Encoding.UTF8.GetBytes(text[i..]), null));
                break;
            }
            if (open > i)
            {
                parts.Add(new Part(Encoding.UTF8.GetBytes(text[i..open]), null));
            }
            var close = text.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"template \"{text}\" has an unclosed '{{{{' at position {open + 1} (expected {{{{ .field }}}})");
            }
            var pathText = text[(open + 2)..close].Trim();
            if (pathText.Length == 0)
            {
                throw new FormatException($"template \"{text}\" has an empty placeholder at position {open + 1} (expected {{{{ .field }}}})");
            }
            if (!FieldPath.TryParse(pathText, out var path, out var error))
            {
                throw new FormatException($"template \"{text}\" has an invalid placeholder at position {open + 1}: {error}");
            }
            parts.Add(new Part(null, path));
            i = close + 2;
        }
        return new FieldTemplate(text, [.. parts]);
    }

    /// <summary>
    /// Writes the interpolated text: strings as their content, numbers and booleans as JSON, objects and arrays as
    /// compact JSON, and null or missing fields as nothing.
    /// </summary>
    public void Render(Event evt, ArrayBufferWriter<byte> destination)
    {
        foreach (var part in _parts)
        {
            if (part.Literal is not null)
            {
                destination.Write(part.Literal);
                continue;
            }
            var value = evt.Get(part.Field!);
            if (value.TryGetUtf8(out var utf8))
            {
                destination.Write(utf8);
            }
            else if (value.Kind is not (EventValueKind.Missing or EventValueKind.Null))
            {
                value.WriteUtf8(destination);
            }
        }
    }

    public override string ToString() => Text;

    private sealed record Part(byte[]? Literal, FieldPath? Field);
}

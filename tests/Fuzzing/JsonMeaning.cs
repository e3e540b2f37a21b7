using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Pipeline.Fuzzing;

/// <summary>
/// What a JSON text means, as System.Text.Json reads it, in one canonical form: strings unescaped and written one way,
/// numbers as their exact text, and duplicate keys resolved as events resolve them (the last value, at the first key's
/// position). Two texts mean the same when their canonical forms are equal.
/// </summary>
internal static class JsonMeaning
{
    private static readonly JsonSerializerOptions Canonical = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The canonical form; null when System.Text.Json does not read <paramref name="utf8Json"/> as one value within <paramref name="maxDepth"/>.</summary>
    public static string? Of(byte[] utf8Json, int maxDepth)
    {
        // System.Text.Json checks a string's UTF-8 only when it is read, and a value a later duplicate key replaces is
        // never read here: invalid UTF-8 anywhere makes the text mean nothing, as it does to events.
        if (!System.Text.Unicode.Utf8.IsValid(utf8Json))
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(utf8Json, new JsonDocumentOptions { MaxDepth = maxDepth });
            var text = new StringBuilder();
            Write(document.RootElement, text);
            return text.ToString();
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            // A string that does not unescape to text (a lone surrogate escape): no meaning to compare.
            return null;
        }
    }

    private static void Write(JsonElement element, StringBuilder text)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var members = new List<(string Key, JsonElement Value)>();
                var positions = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    if (positions.TryGetValue(property.Name, out var at))
                    {
                        members[at] = (property.Name, property.Value);
                    }
                    else
                    {
                        positions[property.Name] = members.Count;
                        members.Add((property.Name, property.Value));
                    }
                }
                text.Append('{');
                for (var i = 0; i < members.Count; i++)
                {
                    text.Append(i == 0 ? "" : ",").Append(JsonSerializer.Serialize(members[i].Key, Canonical)).Append(':');
                    Write(members[i].Value, text);
                }
                text.Append('}');
                break;
            case JsonValueKind.Array:
                text.Append('[');
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    text.Append(first ? "" : ",");
                    first = false;
                    Write(item, text);
                }
                text.Append(']');
                break;
            case JsonValueKind.String:
                text.Append(JsonSerializer.Serialize(element.GetString(), Canonical));
                break;
            default:
                text.Append(element.GetRawText());
                break;
        }
    }
}

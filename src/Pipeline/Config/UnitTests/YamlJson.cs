using System.Globalization;
using System.Text.Json;

namespace Pipeline.Config.UnitTests;

/// <summary>
/// A YAML value as JSON, with YAML 1.2's core-schema types for plain scalars (true/false, null, numbers) and strings for
/// everything quoted, so <c>status: 500</c> in a test event is the number an http source would have parsed.
/// </summary>
internal static class YamlJson
{
    public static string ToJson(ConfigNode node)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping: the text is compared and shown in a terminal, never embedded in HTML, and "->" must read as
        // written rather than as "-\u003E".
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            Write(node, writer);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Write(ConfigNode node, Utf8JsonWriter writer)
    {
        switch (node)
        {
            case ConfigMapping mapping:
                writer.WriteStartObject();
                foreach (var (key, value) in mapping.Entries)
                {
                    writer.WritePropertyName(key.Value);
                    Write(value, writer);
                }
                writer.WriteEndObject();
                break;
            case ConfigSequence sequence:
                writer.WriteStartArray();
                foreach (var item in sequence.Items)
                {
                    Write(item, writer);
                }
                writer.WriteEndArray();
                break;
            case ConfigScalar scalar:
                WriteScalar(scalar, writer);
                break;
        }
    }

    private static void WriteScalar(ConfigScalar scalar, Utf8JsonWriter writer)
    {
        if (!scalar.IsPlain)
        {
            writer.WriteStringValue(scalar.Value);
        }
        else if (scalar.IsNull)
        {
            writer.WriteNullValue();
        }
        else if (scalar.Value is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            writer.WriteBooleanValue(scalar.Value[0] is 't' or 'T');
        }
        else if (long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole))
        {
            writer.WriteNumberValue(whole);
        }
        else if (double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real))
        {
            writer.WriteNumberValue(real);
        }
        else
        {
            writer.WriteStringValue(scalar.Value);
        }
    }
}

using System.Text.Json;
using Pipeline.Events;

namespace Pipeline.Tests.Runtime;

/// <summary>Small events with a sequence number, and reading it back from delivered JSON.</summary>
internal static class TestEvents
{
    public static Event Seq(int seq, string? user = null)
        => Event.Parse(user is null ? $$"""{"seq":{{seq}}}""" : $$"""{"seq":{{seq}},"user":"{{user}}"}""");

    public static int SeqOf(Event evt) => evt.Get(FieldPath.Parse(".seq")).TryGetInt64(out var seq) ? (int)seq : -1;

    public static int SeqOf(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("seq").GetInt32();
    }

    public static int[] Seqs(IEnumerable<string> delivered) => [.. delivered.Select(SeqOf)];
}

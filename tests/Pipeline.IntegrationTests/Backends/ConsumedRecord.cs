using System.Text.Json;

namespace Pipeline.IntegrationTests.Backends;

/// <summary>
/// A line a consumer pipeline's file sink wrote for a record the test produced: the record's id, and where the kafka
/// source read it (its <c>partition</c> and <c>offset</c> fields).
/// </summary>
internal sealed record ConsumedRecord(int Id, int Partition, long Offset)
{
    /// <summary>
    /// Every whole line of a file sink's output so far; none when the file is not there yet. The text after the last
    /// newline is left for the next read: the sink may be writing it right now. A whole line that is not a consumed
    /// record fails the test: a torn line after a kill is a finding, not noise to skip.
    /// </summary>
    public static IReadOnlyList<ConsumedRecord> ReadFile(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }
        string text;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var reader = new StreamReader(stream))
        {
            text = reader.ReadToEnd();
        }
        var lines = text.Split('\n');
        var records = new List<ConsumedRecord>(lines.Length);
        for (var number = 1; number < lines.Length; number++)
        {
            var line = lines[number - 1];
            if (line.Length == 0)
            {
                continue;
            }
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                records.Add(new ConsumedRecord(root.GetProperty("id").GetInt32(), root.GetProperty("partition").GetInt32(), root.GetProperty("offset").GetInt64()));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new InvalidDataException($"{path}:{number}: not a consumed record ({ex.Message}): {line}", ex);
            }
        }
        return records;
    }
}

using System.Globalization;
using System.Text.RegularExpressions;
using Pipeline.Components;

namespace Pipeline.Sinks.Loki;

/// <summary>
/// Reads Loki's 400 answer to a push. Loki validates each entry on its own (too old, too far behind its stream's
/// newest, too far in the future, a line too long) and stores every entry that passed, then answers 400 naming the
/// refused ones by timestamp: sending the request again would store the others twice, and refusing the whole batch
/// would dead-letter entries that are in Loki. So the refused entries are found by their time in Loki's message and
/// dead-lettered alone, and the rest count as delivered.
/// </summary>
/// <remarks>
/// Loki may name fewer entries than it refused (its message is cut) or none recognisably: then the entries it did not
/// name are dead-lettered too, with a reason saying they may be in Loki. A duplicate on replay is the lesser harm;
/// an entry lost without a record is not allowed.
/// </remarks>
internal static partial class LokiRejection
{
    private const int MaxReasonChars = 400;

    /// <summary>True for an answer about entries (some may have been stored), false for one about the whole request.</summary>
    public static bool IsPerEntry(string answer)
        => answer.Contains("entry with timestamp", StringComparison.Ordinal)
            || answer.Contains("entry for stream", StringComparison.Ordinal)
            || answer.Contains("timestamp too old", StringComparison.Ordinal)
            || answer.Contains("timestamp too new", StringComparison.Ordinal);

    /// <summary>The failures of a per-entry 400: the entries Loki names, and those it may have refused without naming.</summary>
    public static List<EventDeliveryFailure> Failures(string answer, ReadOnlySpan<LokiPushRequest.Entry> entries)
    {
        var failures = new List<EventDeliveryFailure>();
        var named = new bool[entries.Length];
        var lines = answer.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var timeTexts = new Dictionary<long, string>();
        for (var i = 0; i < entries.Length; i++)
        {
            if (!timeTexts.TryGetValue(entries[i].UnixNanos, out var timeText))
            {
                timeText = LokiTimestamp.GoText(entries[i].UnixNanos);
                timeTexts.Add(entries[i].UnixNanos, timeText);
            }
            if (lines.FirstOrDefault(l => l.Contains(timeText, StringComparison.Ordinal)) is { } line)
            {
                named[i] = true;
                failures.Add(new EventDeliveryFailure(entries[i].Event, $"loki refused the entry: {Cut(line)}", Retryable: false));
            }
        }
        var refused = TotalIgnored(answer);
        if (refused is null ? failures.Count == 0 : refused > failures.Count)
        {
            var said = $"loki refused {(refused is { } n ? n.ToString(CultureInfo.InvariantCulture) : "some")} of the {entries.Length} entries of the request and did not name them all, so this one may be in Loki or not: {Cut(lines.FirstOrDefault() ?? answer)}";
            for (var i = 0; i < entries.Length; i++)
            {
                if (!named[i])
                {
                    failures.Add(new EventDeliveryFailure(entries[i].Event, said, Retryable: false));
                }
            }
        }
        return failures;
    }

    private static int? TotalIgnored(string answer)
        => TotalIgnoredLine().Match(answer) is { Success: true } match && int.TryParse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static string Cut(string text) => text.Length <= MaxReasonChars ? text : text[..MaxReasonChars] + "…";

    [GeneratedRegex(@"total ignored: (\d+) out of \d+")]
    private static partial Regex TotalIgnoredLine();
}

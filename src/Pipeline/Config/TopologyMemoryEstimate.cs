using System.Globalization;
using Pipeline.Components;
using Pipeline.Isolates;

namespace Pipeline.Config;

/// <summary>
/// Checks that what the topology may hold in memory at once fits in what the process may use. Every setting has its
/// own bound (<see cref="StageSettingLimits"/>), but fifty stages each within it can still ask for more memory than
/// the machine has; this estimate is what makes <c>validate</c> say so instead of the kernel's OOM killer.
/// </summary>
/// <remarks>
/// The estimate counts, per stage and sink, every mailbox full and every isolate holding a full batch:
/// isolates × (mailbox + batch_size) events (a memory buffer's max_events is already its mailboxes), at
/// <see cref="BytesPerEvent"/> each; and per source with <c>max_in_flight_bytes</c> (the http source) four times its
/// in-flight bytes, as that option's description says the process holds while parsing. A disk buffer's backlog is on
/// disk and not counted. The budget is the memory limiter's hard limit when it is on (the heap the service is meant to
/// stay under), else the memory available to the process, which honours a container's limit.
/// </remarks>
internal static class TopologyMemoryEstimate
{
    /// <summary>
    /// The assumed size of an event in memory: a parsed container log line of a few hundred bytes of text is about
    /// 1 KiB with its fields, strings and envelope. Lines are often shorter, so the estimate errs on the safe side.
    /// </summary>
    public const long BytesPerEvent = 1024;

    /// <summary>A request body is held as read, decoded and parsed: about four copies, as max_in_flight_bytes says.</summary>
    public const int InFlightBytesHeld = 4;

    /// <summary>How many contributors the error lists, biggest first.</summary>
    private const int ListedContributors = 5;

    private const string InFlightOption = "max_in_flight_bytes";

    /// <summary>
    /// True when the estimate fits the budget; else false, with an error at the biggest contributor. Called once every
    /// setting is valid: an estimate from settings that failed to bind would point at the wrong thing.
    /// </summary>
    /// <param name="availableMemory">The memory available to the process; the machine's (or container's) when null.</param>
    public static bool Fits(IReadOnlyList<ComponentDraft> components, MemoryLimiterSettings limiter, List<ConfigError> errors, long? availableMemory = null)
    {
        var available = availableMemory ?? MemoryLimiter.AvailableMemory;
        var (budget, budgetText) = Budget(limiter, available);
        var all = components.Select(c => Contribution(c, available)).Where(c => c.Bytes > 0).ToList();
        // The http sources that leave max_in_flight_bytes unset share one default budget (InFlightBytes.SharedDefault):
        // counted once, whatever their number.
        var sharing = all.Where(c => c.SharesDefault).ToList();
        var contributors = all.Where(c => !c.SharesDefault).ToList();
        if (sharing.Count > 0)
        {
            var subject = sharing.Count == 1 ? sharing[0].Subject : $"{sharing.Count} sources ({string.Join(", ", sharing.Select(c => c.Subject))})";
            contributors.Add(sharing[0] with { Subject = subject, Reason = sharing[0].Reason + ", the default they share" });
        }
        contributors = [.. contributors.OrderByDescending(c => c.Bytes)];
        var total = contributors.Sum(c => c.Bytes);
        if (total <= budget)
        {
            return true;
        }
        var biggest = contributors[0];
        var listed = string.Join("; ", contributors.Take(ListedContributors).Select(c => $"{c.Subject}: {c.Reason} = {Size(c.Bytes)}"));
        var more = contributors.Count > ListedContributors ? $"; and {contributors.Count - ListedContributors} more" : "";
        errors.Add(new ConfigError(biggest.Mark,
            $"the topology may hold about {Size(total)} in memory, more than {budgetText} (expected its mailboxes, batches and in-flight request bodies to fit, "
            + $"counting {BytesPerEvent.ToString(CultureInfo.InvariantCulture)} bytes an event); the biggest: {listed}{more}. "
            + "Lower isolates, mailbox, batch_size or buffer.max_events, move a sink's backlog to a disk buffer, or lower max_in_flight_bytes"));
        return false;
    }

    private static (long Bytes, string Text) Budget(MemoryLimiterSettings limiter, long available)
    {
        var availableText = $"the {Size(available)} available to this process on this machine";
        if (!limiter.Enabled)
        {
            return (available, availableText);
        }
        var (hard, _) = limiter.Resolve(available);
        if (hard >= available)
        {
            return (available, availableText);
        }
        var setting = limiter.Limit is null ? $"{limiter.LimitPercent.ToString(CultureInfo.InvariantCulture)}% of {Size(available)} available" : "as set";
        return (hard, $"the memory limiter's limit of {Size(hard)} ({setting})");
    }

    private readonly record struct Contributor(string Subject, string Reason, long Bytes, SourceMark Mark, bool SharesDefault = false);

    private static Contributor Contribution(ComponentDraft component, long available)
    {
        if (component.Kind == ComponentKind.Source)
        {
            var inFlight = InFlightBytes(component, available);
            return inFlight is var (bytes, shared)
                ? new(component.Subject, $"{InFlightBytesHeld} × {Size(bytes)} {InFlightOption}", InFlightBytesHeld * bytes,
                    component.OptionMarks.GetValueOrDefault(InFlightOption, component.Mark), shared)
                : new(component.Subject, "", 0, component.Mark);
        }
        var stage = component.Stage;
        var isolates = Math.Max(1, stage.Isolates);
        var events = (long)isolates * ((long)stage.Mailbox + stage.BatchSize);
        var reason = $"{isolates.ToString("N0", CultureInfo.InvariantCulture)} isolate{(isolates == 1 ? "" : "s")} × ({stage.Mailbox.ToString("N0", CultureInfo.InvariantCulture)} mailbox + {stage.BatchSize.ToString("N0", CultureInfo.InvariantCulture)} batch) events";
        return new(component.Subject, reason, events * BytesPerEvent, MarkOfLargestSetting(component));
    }

    /// <summary>Where the setting most worth lowering was written: the buffer or mailbox, else isolates, else the id.</summary>
    private static SourceMark MarkOfLargestSetting(ComponentDraft component)
    {
        foreach (var key in new[] { BufferSettingsBinder.Key, "mailbox", "isolates", "batch_size" })
        {
            if (component.OptionMarks.TryGetValue(key, out var mark))
            {
                return mark;
            }
        }
        return component.Mark;
    }

    /// <summary>
    /// A source's <c>max_in_flight_bytes</c> (the http source's), unset taking its default as the source does: the
    /// budget shared by every source that leaves it unset (an eighth of the memory available), or max_body of its own
    /// when that is larger. Null for a source without the option.
    /// </summary>
    private static (long Bytes, bool SharesDefault)? InFlightBytes(ComponentDraft component, long available)
    {
        if (component.Descriptor is not { } descriptor || component.Options is not { } options)
        {
            return null;
        }
        var inFlight = descriptor.Options.FirstOrDefault(o => o.Name == InFlightOption);
        if (inFlight is null)
        {
            return null;
        }
        if (inFlight.Property.GetValue(options) is ByteSize set)
        {
            return (set.Bytes, false);
        }
        var maxBody = descriptor.Options.FirstOrDefault(o => o.Name == "max_body")?.Property.GetValue(options) is ByteSize body ? body.Bytes : 0;
        var sharedDefault = available / 8;
        return maxBody > sharedDefault ? (maxBody, false) : (sharedDefault, true);
    }

    private static string Size(long bytes)
    {
        const double KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024, TiB = GiB * 1024;
        return bytes switch
        {
            >= (long)TiB => (bytes / TiB).ToString("0.#", CultureInfo.InvariantCulture) + " TiB",
            >= (long)GiB => (bytes / GiB).ToString("0.#", CultureInfo.InvariantCulture) + " GiB",
            >= (long)MiB => (bytes / MiB).ToString("0.#", CultureInfo.InvariantCulture) + " MiB",
            _ => (bytes / KiB).ToString("0.#", CultureInfo.InvariantCulture) + " KiB",
        };
    }
}

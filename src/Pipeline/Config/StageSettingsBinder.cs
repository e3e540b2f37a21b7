using System.Globalization;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Isolates;

namespace Pipeline.Config;

/// <summary>
/// Binds the runtime keys that sit beside a stage's or sink's own options (<c>isolates</c>, <c>router</c>,
/// <c>mailbox</c>...) onto <see cref="IsolatePoolSettings"/>.
/// </summary>
internal static class StageSettingsBinder
{
    public static IReadOnlyList<StageSettingInfo> Settings { get; } =
    [
        new("isolates", "integer 1 to max(64, 16 × processors), or auto", "1", "Workers in the stage's pool; auto = one per processor."),
        new("router", "one of round_robin, least_loaded, key_affinity", "round_robin", "How events are spread over the isolates; least_loaded picks the shortest mailbox. Behind a source that keeps order by a field (kafka: its partition), the default is key_affinity on that field."),
        new("key", "field path", "", "The field whose value picks the isolate (a string by its hash, a non-negative integer n as n modulo isolates); required with (and only allowed with) router: key_affinity."),
        new("mailbox", "integer 1 to 1,000,000", "1024", "Mailbox capacity per isolate, in events."),
        new("when_full", "one of block, drop_newest", "block", "What a producer does when a mailbox is full: wait (backpressure), or drop the event and count it."),
        new("max_attempts", "integer 1 to 1,000", "3; sinks: unlimited for outages", "Tries per event (per batch for sinks) before it is dead-lettered. Unset, a sink retries a retryable failure (connection refused, timeout, 429, 5xx) until it succeeds, so an outage fills its buffer and pushes back instead of dead-lettering, and any other failure 3 times; a permanent one (another 4xx, a rejected document) is dead-lettered at once."),
        new("retry_backoff", "duration", "50ms", "The backoff base: before retry n the isolate waits a random time between 0 and retry_backoff × 2^(n−1), capped at retry_max_backoff (full jitter); restarts back off the same way."),
        new("retry_max_backoff", "duration", "30s", "The longest wait between two attempts, a backend's Retry-After included (a longer one is cut to this)."),
        new("retry_max_elapsed", "duration", "none", "Stop retrying (and dead-letter) once this long has passed since the first attempt; unset, no time limit."),
        new("max_restarts", "integer 0 to 10,000", "5", "Isolate restarts allowed within restart_window before the stage is marked failed."),
        new("restart_window", "duration", "1m", "The window max_restarts counts over."),
        new("batch_size", "integer 1 to 100,000", "64", "The most events an isolate takes from its mailbox at once; for sinks, the delivery batch size."),
        new("batch_timeout", "duration", "0s", "For sinks: the longest a partial batch waits for more events; 0 delivers what is there at once."),
        new("buffer", "{ type: memory | disk, max_events, max_size, when_full }", "memory",
            "Sinks only, as in Vector: memory holds max_events (default mailbox × isolates, at most 10,000,000) in the mailboxes; disk is a checksummed segment log under data_dir/buffers/<sink id> of at most max_size (default 256MiB, 1MiB to 1024GiB) that survives a crash (docs/delivery.md). when_full: block or drop_newest."),
    ];

    public static IEnumerable<string> Names => Settings.Select(s => s.Name);

    public static bool IsSetting(string key) => Settings.Any(s => s.Name == key);

    /// <param name="subject">Names the component in errors, e.g. <c>stage 'parse'</c>.</param>
    /// <returns>False when the value was wrong (and reported).</returns>
    public static bool Bind(string key, ConfigNode node, IsolatePoolSettings settings, string subject, List<ConfigError> errors)
    {
        var before = errors.Count;
        var what = $"{subject}: setting '{key}'";
        switch (key)
        {
            case "isolates":
                if (node is ConfigScalar { Value: "auto" })
                {
                    settings.Isolates = Environment.ProcessorCount;
                }
                else if (TryInt(node, what, 1, StageSettingLimits.MaxIsolates, StageSettingLimits.IsolatesExpected, errors, out var isolates))
                {
                    settings.Isolates = isolates;
                }
                break;
            case "router":
                if (OptionValueConverter.TryConvert(node, typeof(RouterKind), what, errors, out var router) && router is RouterKind r)
                {
                    settings.Router = r;
                }
                break;
            case "key":
                if (OptionValueConverter.TryConvert(node, typeof(FieldPath), what, errors, out var path) && path is FieldPath p)
                {
                    settings.Key = p;
                }
                break;
            case "mailbox":
                if (TryInt(node, what, 1, StageSettingLimits.MaxMailbox, "an integer between 1 and 1,000,000 (a larger backlog belongs in a disk buffer)", errors, out var mailbox))
                {
                    settings.Mailbox = mailbox;
                }
                break;
            case "when_full":
                if (OptionValueConverter.TryConvert(node, typeof(WhenFull), what, errors, out var whenFull) && whenFull is WhenFull w)
                {
                    settings.WhenFull = w;
                }
                break;
            case "max_attempts":
                if (TryInt(node, what, 1, StageSettingLimits.MaxAttempts, "an integer between 1 and 1,000 (leave it unset for a sink to retry an outage until it ends)", errors, out var attempts))
                {
                    settings.MaxAttempts = attempts;
                }
                break;
            case "retry_backoff":
                if (TryDuration(node, what, errors, out var backoff))
                {
                    settings.RetryBackoff = backoff;
                }
                break;
            case "retry_max_backoff":
                if (TryPositiveDuration(node, what, errors, out var maxBackoff))
                {
                    settings.RetryMaxBackoff = maxBackoff;
                }
                break;
            case "retry_max_elapsed":
                if (TryPositiveDuration(node, what, errors, out var maxElapsed))
                {
                    settings.RetryMaxElapsed = maxElapsed;
                }
                break;
            case "max_restarts":
                if (TryInt(node, what, 0, StageSettingLimits.MaxRestarts, "an integer between 0 and 10,000", errors, out var restarts))
                {
                    settings.MaxRestarts = restarts;
                }
                break;
            case "restart_window":
                if (TryDuration(node, what, errors, out var window))
                {
                    if (window > TimeSpan.Zero)
                    {
                        settings.RestartWindow = window;
                    }
                    else
                    {
                        errors.Add(new ConfigError(node.Mark, $"{what}: expected a duration longer than 0, found {node.Describe()}"));
                    }
                }
                break;
            case "batch_size":
                if (TryInt(node, what, 1, StageSettingLimits.MaxBatchSize, "an integer between 1 and 100,000", errors, out var batchSize))
                {
                    settings.BatchSize = batchSize;
                }
                break;
            case "batch_timeout":
                if (TryDuration(node, what, errors, out var batchTimeout))
                {
                    settings.BatchTimeout = batchTimeout;
                }
                break;
            default:
                throw new ArgumentException($"'{key}' is not a stage setting", nameof(key));
        }
        return errors.Count == before && node is not ConfigScalar { HasReportedError: true };
    }

    /// <summary>A key belongs with key_affinity and nowhere else; checked once every setting is bound.</summary>
    /// <param name="failedKeys">Settings whose values were already reported wrong: no second error about them.</param>
    public static void CheckRouterKey(IsolatePoolSettings settings, IReadOnlyDictionary<string, SourceMark> marks, IReadOnlySet<string> failedKeys, SourceMark componentMark, string subject, List<ConfigError> errors)
    {
        if (failedKeys.Contains("router") || failedKeys.Contains("key"))
        {
            return;
        }
        if (settings.Router == RouterKind.KeyAffinity && settings.Key is null)
        {
            errors.Add(new ConfigError(
                marks.GetValueOrDefault("router", componentMark),
                $"{subject}: router key_affinity expected a 'key: <field path>' setting, found none"));
        }
        if (settings.Router != RouterKind.KeyAffinity && marks.TryGetValue("key", out var keyMark))
        {
            errors.Add(new ConfigError(
                keyMark,
                $"{subject}: 'key' is only used with router: key_affinity, found router: {ComponentDescriptor.ToSnakeCase(settings.Router.ToString())}"));
        }
    }

    private static bool TryInt(ConfigNode node, string what, int minimum, int maximum, string expected, List<ConfigError> errors, out int value)
    {
        value = 0;
        if (node is ConfigScalar { HasReportedError: true })
        {
            return false;
        }
        if (node is ConfigScalar scalar && int.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value) && value >= minimum && value <= maximum)
        {
            return true;
        }
        errors.Add(new ConfigError(node.Mark, $"{what}: expected {expected}, found {node.Describe()}"));
        return false;
    }

    private static bool TryPositiveDuration(ConfigNode node, string what, List<ConfigError> errors, out TimeSpan value)
    {
        if (!TryDuration(node, what, errors, out value))
        {
            return false;
        }
        if (value > TimeSpan.Zero)
        {
            return true;
        }
        errors.Add(new ConfigError(node.Mark, $"{what}: expected a duration longer than 0, found {node.Describe()}"));
        return false;
    }

    private static bool TryDuration(ConfigNode node, string what, List<ConfigError> errors, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (OptionValueConverter.TryConvert(node, typeof(TimeSpan), what, errors, out var parsed) && parsed is TimeSpan ts)
        {
            value = ts;
            return true;
        }
        return false;
    }
}

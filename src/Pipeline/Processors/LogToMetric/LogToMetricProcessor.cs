using System.Buffers;
using System.Globalization;
using System.Text;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Telemetry;

namespace Pipeline.Processors.LogToMetric;

/// <summary>
/// Records each event into the stage's metrics and sends it on unchanged. An event whose label set is already
/// exported allocates nothing: the labels are rendered into this isolate's buffers and the series found by span.
/// </summary>
public sealed class LogToMetricProcessor(LogMetricPlan[] plans) : IProcessor
{
    /// <summary>
    /// The longest label value kept, in UTF-8 bytes: with max_series it bounds a metric's memory, and a longer value
    /// (a whole message rendered into a label) is a mistake worth counting rather than exporting.
    /// </summary>
    public const int MaxLabelValueBytes = 1_024;

    private readonly ArrayBufferWriter<byte> _rendered = new(256);
    private readonly int[] _ends = new int[plans.Length == 0 ? 0 : plans.Max(p => p.Tags.Count)];

    // The lookup key: per label, its length as one char, then its characters (unambiguous whatever the values hold).
    private char[] _key = new char[256];

    public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(evt);
        ArgumentNullException.ThrowIfNull(output);
        foreach (var plan in plans)
        {
            if (plan.Bound)
            {
                Record(plan, evt);
            }
        }
        output.Emit(evt);
        return ValueTask.CompletedTask;
    }

    private void Record(LogMetricPlan plan, Event evt)
    {
        var value = evt.Get(plan.Field);
        var missing = value.Kind is EventValueKind.Missing or EventValueKind.Null;
        double amount = 1;
        if (plan.Shape.Type == DerivedMetricType.Counter && !plan.IncrementByValue)
        {
            if (missing)
            {
                return;
            }
        }
        else if (missing)
        {
            // A counter's field that is absent means "not this event"; only a number that was meant to be there counts.
            if (plan.Shape.Type != DerivedMetricType.Counter)
            {
                plan.MissingField.Inc();
            }
            return;
        }
        else if (!TryGetNumber(value, out amount))
        {
            plan.NotANumber.Inc();
            return;
        }
        else if (amount < 0 && plan.Shape.Type == DerivedMetricType.Counter)
        {
            plan.Negative.Inc();
            return;
        }
        if (plan.Metric is not { } metric)
        {
            plan.Unavailable.Inc();
            return;
        }
        if (!TryRenderKey(plan, evt, out var keyLength))
        {
            plan.LabelTooLong.Inc();
            return;
        }
        var key = _key.AsSpan(0, keyLength);
        if (!metric.TryGet(key, out var series))
        {
            var added = metric.Add(key.ToString(), LabelValues(plan));
            if (added is null)
            {
                plan.SeriesLimit.Inc();
                return;
            }
            series = added;
        }
        series.Record(amount);
    }

    /// <summary>Numbers, and strings that read as one ("12.5" from a parsed access log).</summary>
    private static bool TryGetNumber(EventValue value, out double number)
    {
        if (value.TryGetDouble(out number))
        {
            return true;
        }
        return value.TryGetUtf8(out var utf8)
            && double.TryParse(utf8, NumberStyles.Float, CultureInfo.InvariantCulture, out number)
            && double.IsFinite(number);
    }

    private bool TryRenderKey(LogMetricPlan plan, Event evt, out int keyLength)
    {
        keyLength = 0;
        _rendered.ResetWrittenCount();
        var tags = plan.Tags;
        for (var i = 0; i < tags.Count; i++)
        {
            var before = _rendered.WrittenCount;
            tags[i].Render(evt, _rendered);
            if (_rendered.WrittenCount - before > MaxLabelValueBytes)
            {
                return false;
            }
            _ends[i] = _rendered.WrittenCount;
        }
        var needed = _rendered.WrittenCount + tags.Count;
        if (_key.Length < needed)
        {
            _key = new char[Math.Max(needed, 2 * _key.Length)];
        }
        var bytes = _rendered.WrittenSpan;
        var start = 0;
        for (var i = 0; i < tags.Count; i++)
        {
            var chars = Encoding.UTF8.GetChars(bytes[start.._ends[i]], _key.AsSpan(keyLength + 1));
            _key[keyLength] = (char)chars;
            keyLength += 1 + chars;
            start = _ends[i];
        }
        return true;
    }

    /// <summary>A new label set's values, from the key just rendered: allocated once per series, never per event.</summary>
    private string[] LabelValues(LogMetricPlan plan)
    {
        var values = new string[plan.Tags.Count];
        var position = 0;
        for (var i = 0; i < values.Length; i++)
        {
            var length = _key[position];
            values[i] = new string(_key, position + 1, length);
            position += 1 + length;
        }
        return values;
    }
}

using Pipeline.Telemetry.Logging;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Pipeline.Tests.Logging;

/// <summary>Writes each event with the service's JSON line format to a writer, as the console sink does to stdout.</summary>
internal sealed class FormattingSink(TextWriter output) : ILogEventSink
{
    private readonly ITextFormatter _format = JsonLogFormat.Create();
    private readonly Lock _lock = new();

    public void Emit(LogEvent logEvent)
    {
        lock (_lock)
        {
            _format.Format(logEvent, output);
        }
    }
}

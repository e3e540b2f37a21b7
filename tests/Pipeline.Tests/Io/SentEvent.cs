using System.Diagnostics;
using Pipeline.Events;

namespace Pipeline.Tests.Io;

internal sealed record SentEvent(Event Event, ActivityContext TraceContext);

using Pipeline.Events;
using Serilog.Events;

namespace Pipeline.Components;

/// <summary>
/// Where a <see cref="IBatchProcessor"/> puts what each input event of a batch produced. An input with neither
/// outputs nor a failure was dropped. What an input emitted before it failed is discarded by the runtime.
/// </summary>
public interface IBatchEmitter
{
    /// <summary>
    /// <paramref name="evt"/> is output of input <paramref name="input"/>, on the default output
    /// (<paramref name="namedOutput"/> -1) or a named one (its index in <see cref="IProcessorFactory.NamedOutputs"/>).
    /// </summary>
    void Emit(int input, int namedOutput, Event evt);

    /// <summary>Input <paramref name="input"/> failed on its own; the others of the batch are not affected.</summary>
    void Fail(int input, Exception error);

    /// <summary>
    /// A line the processor's user code wrote while it handled input <paramref name="input"/> (a script's
    /// <c>console.log</c>): the runtime logs it as that event's, with its trace id.
    /// </summary>
    void Log(int input, LogEventLevel level, string line);
}

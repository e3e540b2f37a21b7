using System.Globalization;
using Jint;
using Jint.Native;
using Jint.Runtime;

namespace Pipeline.Processors.Script;

/// <summary>
/// Jint, a JavaScript interpreter in managed code: for where a native engine is not wanted. Slower than V8 per event
/// (see the README's isolates table), but nothing native is loaded and a failure stays a .NET exception.
/// </summary>
internal sealed class JintScriptRuntime : IScriptRuntime
{
    /// <summary>
    /// Jint recurses on the thread's own stack, and a .NET stack overflow ends the process: deep recursion must stop as
    /// a script error well before the <see cref="ScriptThread"/>'s stack does.
    /// </summary>
    private const int MaxRecursion = 400;

    private readonly Engine _engine;
    private JsValue? _run;
    private readonly ScriptLimits _limits;
    private readonly CancellationTokenSource _interrupt = new();

    public JintScriptRuntime(ScriptLimits limits)
    {
        _limits = limits;
        var budget = new EventAllocationBudget(limits.Heap.Bytes);
        _engine = new Engine(options => options
            .Constraint(budget)
            .LimitRecursion(MaxRecursion)
            .CancellationToken(_interrupt.Token));
        _engine.SetValue(EventAllocationBudget.GlobalName, new Action(budget.StartEvent));
    }

    public void Expose(string name, object value) => _engine.SetValue(name, value);

    public void Load(ScriptProgram program, IReadOnlyList<string> outputNames)
    {
        try
        {
            _engine.Execute(program.Text, program.DocumentName);
            var driver = _engine.Evaluate(ScriptDriverText.Value, ScriptProgram.DriverDocument);
            _run = _engine.Invoke(driver, ScriptDriverText.OutputNamesJson(outputNames), ScriptLimits.MaxLogLinesPerCall, ScriptLimits.MaxLineLength);
        }
        catch (Exception ex)
        {
            throw Translate(ex);
        }
    }

    public string Run(string events)
    {
        try
        {
            return _engine.Invoke(_run!, events).AsString();
        }
        catch (Exception ex)
        {
            throw Translate(ex);
        }
    }

    public void Interrupt() => _interrupt.Cancel();

    public void Dispose()
    {
        _engine.Dispose();
        _interrupt.Dispose();
    }

    private Exception Translate(Exception ex) => ex switch
    {
        MemoryLimitExceededException => new ScriptLimitException(Telemetry.ScriptInstruments.HeapLimit,
            string.Create(CultureInfo.InvariantCulture, $"the script allocated more than heap_limit ({_limits.Heap.Bytes / (1024 * 1024)} MiB) for one event and was stopped"), ex),
        ExecutionCanceledException => ex,
        RecursionDepthOverflowException recursion => new ScriptException($"RangeError: Maximum call stack size exceeded ({recursion.Message})"),
        JavaScriptException script => new ScriptException(script.JavaScriptStackTrace is { Length: > 0 } stack ? $"{script.Message}\n{stack}" : script.Message),
        _ => ex,
    };
}

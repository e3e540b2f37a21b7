using System.Globalization;
using Microsoft.ClearScript;
using Microsoft.ClearScript.V8;

namespace Pipeline.Processors.Script;

/// <summary>
/// A V8 isolate of its own (ClearScript): its own heap and lock, so the runtimes of a stage's isolates run in parallel
/// and share nothing. Made, used and disposed on one <see cref="ScriptThread"/>: measured here, two runtimes used
/// from thread-pool threads ran at 0.38–0.46× the speed of one, and on their own threads at 1.97×.
/// </summary>
internal sealed class V8ScriptRuntime : IScriptRuntime
{
    /// <summary>
    /// How often the heap is checked against heap_limit. ClearScript's limit is sampled, not hard: a script that
    /// allocates fast overshoots by what it allocates in one interval (measured: a loop of 8 MB arrays was stopped
    /// 124 ms in with a 64 MiB limit and 5 ms sampling).
    /// </summary>
    private static readonly TimeSpan HeapSampleInterval = TimeSpan.FromMilliseconds(5);

    private readonly V8ScriptEngine _engine;
    private ScriptObject? _run;
    private readonly ScriptLimits _limits;

    public V8ScriptRuntime(ScriptLimits limits)
    {
        _limits = limits;
        // No host objects or types are exposed: the script sees plain JavaScript and the driver's emit and console.
        _engine = new V8ScriptEngine(V8ScriptEngineFlags.None)
        {
            MaxRuntimeHeapSize = (UIntPtr)limits.Heap.Bytes,
            RuntimeHeapSizeSampleInterval = HeapSampleInterval,
        };
    }

    public void Expose(string name, object value) => _engine.AddHostObject(name, value);

    public void Load(ScriptProgram program, IReadOnlyList<string> outputNames)
    {
        try
        {
            _engine.Execute(new DocumentInfo(program.DocumentName), program.Text);
            var driver = (ScriptObject)_engine.Evaluate(new DocumentInfo(ScriptProgram.DriverDocument), ScriptDriverText.Value);
            _run = (ScriptObject)driver.Invoke(false,
                ScriptDriverText.OutputNamesJson(outputNames), ScriptLimits.MaxLogLinesPerCall, ScriptLimits.MaxLineLength);
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
            return (string)_run!.Invoke(false, events);
        }
        catch (Exception ex)
        {
            throw Translate(ex);
        }
    }

    public void Interrupt() => _engine.Interrupt();

    public void Dispose() => _engine.Dispose();

    /// <summary>The heap limit becomes a <see cref="ScriptLimitException"/>; a script error keeps V8's own text with its stack.</summary>
    private Exception Translate(Exception ex) => ex switch
    {
        ScriptEngineException { IsFatal: true } fatal when fatal.Message.Contains("memory limit", StringComparison.Ordinal) =>
            new ScriptLimitException(Telemetry.ScriptInstruments.HeapLimit,
                string.Create(CultureInfo.InvariantCulture, $"the script's runtime used more than heap_limit ({_limits.Heap.Bytes / (1024 * 1024)} MiB) and was stopped"), ex),
        ScriptInterruptedException => ex,
        ScriptEngineException script => new ScriptException(script.ErrorDetails ?? script.Message),
        _ => ex,
    };
}

using Pipeline.Components;
using Pipeline.Security;
using Pipeline.Telemetry;

namespace Pipeline.Processors.Script;

/// <summary>
/// A script stage's shared part: the script every isolate should run (replaced when its file changes), the limits,
/// the engine, and the stage's script metrics. Each isolate's <see cref="ScriptProcessor"/> owns its own runtime.
/// </summary>
internal sealed class ScriptProcessorFactory : IProcessorFactory, ISharedStageState
{
    private readonly string? _file;
    private readonly ScriptEngineKind _engine;
    private ScriptProgram _current;
    private PolledFiles? _watch;
    private ScriptInstruments? _instruments;

    public ScriptProcessorFactory(string componentId, ScriptProgram program, string? file, ScriptEngineKind engine, ScriptLimits limits, IReadOnlyList<string> namedOutputs)
    {
        ComponentId = componentId;
        _current = program;
        _file = file;
        _engine = engine;
        Limits = limits;
        NamedOutputs = namedOutputs;
    }

    public string ComponentId { get; }

    public ScriptLimits Limits { get; }

    public IReadOnlyList<string> NamedOutputs { get; }

    /// <summary>
    /// .NET objects every runtime gets as globals. Empty in the service (scripts see plain JavaScript only); a test sets
    /// one, such as a barrier that proves two isolates' scripts run at the same time.
    /// </summary>
    internal IReadOnlyDictionary<string, object> HostObjects { get; set; } = new Dictionary<string, object>();

    /// <summary>The script isolates switch to at their next batch.</summary>
    public ScriptProgram Current => Volatile.Read(ref _current);

    /// <summary>The stage's logger once it started; the global one for an instance made outside a stage (tests).</summary>
    public Serilog.ILogger Logger { get; private set; } = Serilog.Log.Logger;

    public void Start(StageRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        Logger = runtime.Logger;
        _instruments = runtime.Metrics.CreateScriptInstruments();
        if (_file is { } file)
        {
            // Polled, as certificates are: a ConfigMap volume swaps a symlink that a watch on the file never sees.
            _watch = new PolledFiles([file], () => ReadAndReload(file));
        }
    }

    public IProcessor CreateForIsolate(int isolateIndex) => new ScriptProcessor(this, isolateIndex);

    public ValueTask DisposeAsync()
    {
        _watch?.Dispose();
        return default;
    }

    /// <summary>A new runtime of the stage's engine, with its limits, nothing loaded (called on a <see cref="ScriptThread"/>).</summary>
    public IScriptRuntime CreateRuntime()
    {
        IScriptRuntime runtime = _engine switch
        {
            ScriptEngineKind.Jint => new JintScriptRuntime(Limits),
            _ => new V8ScriptRuntime(Limits),
        };
        foreach (var (name, value) in HostObjects)
        {
            runtime.Expose(name, value);
        }
        return runtime;
    }

    public void CountLimit(ScriptLimitException limit)
    {
        if (_instruments is null)
        {
            return;
        }
        (limit.Limit == ScriptInstruments.HeapLimit ? _instruments.HeapExceeded : _instruments.CpuTimeExceeded).Inc();
    }

    /// <summary>Runs on the poll's timer, so it never throws: a file that cannot be read now is read at its next change.</summary>
    private void ReadAndReload(string file)
    {
        try
        {
            Reload(System.IO.File.ReadAllText(file));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Logger.Warning("{ComponentId} could not read its changed script file {File} ({Reason}); the running script stays", ComponentId, file, ex.Message);
        }
    }

    /// <summary>
    /// The file changed: a script that parses and differs becomes <see cref="Current"/>, and every isolate switches to
    /// it at its next batch; one that does not parse is logged with its line and column, and the old one keeps running.
    /// </summary>
    private void Reload(string text)
    {
        var running = Current;
        if (text == running.Text)
        {
            return;
        }
        try
        {
            var next = ScriptProgram.Parse(text, running.DocumentName, running.Version + 1);
            Volatile.Write(ref _current, next);
            _instruments?.ReloadsApplied.Inc();
            Logger.Information("{ComponentId} reloaded {File} as version {Version} of its script; each isolate switches at its next batch",
                ComponentId, _file, next.Version);
        }
        catch (ScriptSyntaxException ex)
        {
            _instruments?.ReloadsRejected.Inc();
            Logger.Error("{ComponentId} kept version {Version} of its script: the changed file does not load: {File:l}:{Line}:{Column}: {Reason:l}",
                ComponentId, running.Version, _file, ex.Line, ex.Column, ex.Description);
        }
    }
}

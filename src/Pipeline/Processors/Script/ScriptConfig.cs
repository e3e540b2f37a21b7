using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Pipeline.Components;

namespace Pipeline.Processors.Script;

[Component("script", "Runs your JavaScript on every event: each isolate owns a runtime (V8 or Jint) on its own thread, called once per batch.",
    Guide = "scripting.md",
    Example = """
        stages:
          enrich:
            type: script
            inputs: [app]
            isolates: 2
            outputs: [alerts]            # referenced downstream as enrich.alerts
            source: |
              function process(event, emit) {
                if (event.level === "debug") return;              // emit nothing: dropped
                event.user = (event.user || "").toLowerCase();    // change the event in place
                emit(event);                                      // the default output
                if (event.status >= 500) {
                  console.warn("server error on", event.path);    // logged with this event's trace id
                  emit({ alert: "5xx", path: event.path }, "alerts");
                }
              }
          tagged:
            type: script
            inputs: [enrich]
            engine: jint                 # managed interpreter, nothing native
            file: /etc/pipeline/scripts/tag.js   # re-read every second; a change applies isolate by isolate
            cpu_time_limit: 250ms
            heap_limit: 64MiB
        """)]
public sealed partial class ScriptConfig : IProcessorConfig
{
    /// <summary>Below this a V8 runtime cannot even hold the driver and a batch.</summary>
    private const long MinHeapBytes = 16L * 1024 * 1024;

    [Option("The script, inline. It defines process(event, emit): change the event in place and emit(event) to keep it, emit(event, \"name\") for a named output, emit more objects to fan out, or nothing to drop it. One of source and file.",
        Example = "function process(event, emit) { event.env = \"prod\"; emit(event); }")]
    public string? Source { get; set; }

    [Option("A file holding the script (instead of source). Read again every second: a change that parses replaces the runtimes isolate by isolate at their next batch, losing no events; one that does not is logged and the old script keeps running.",
        Example = "/etc/pipeline/scripts/enrich.js")]
    public string? File { get; set; }

    [Option("v8 (ClearScript's native V8: compiled, the fast one) or jint (an interpreter in managed code: nothing native).", Example = "jint")]
    public ScriptEngineKind Engine { get; set; } = ScriptEngineKind.V8;

    [Option("Named outputs the script may emit to, referenced downstream as <id>.<name>; the default output (emit(event)) always exists.",
        Example = "[alerts, audit]")]
    public List<string> Outputs { get; set; } = [];

    [Option("CPU time one call (one batch of events) may use. Past it the call is interrupted, the runtime replaced and the batch retried in halves, so only the event that runs away on its own is dead-lettered.",
        Example = "250ms")]
    public TimeSpan CpuTimeLimit { get; set; } = TimeSpan.FromSeconds(1);

    [Option("Heap of each isolate's runtime (for jint: what the script may allocate for one event). Past it the call is stopped and handled as cpu_time_limit is.",
        Example = "128MiB")]
    public ByteSize HeapLimit { get; set; } = new(64L * 1024 * 1024);

    public IProcessorFactory Build(ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (text, option, documentName) = (Source, File) switch
        {
            (not null, not null) => throw new ComponentBuildException("file", "expected either source or file, found both"),
            (null, null) => throw new ComponentBuildException("source", "expected the script inline (source) or in a file (file), found neither"),
            ({ } inline, null) => (inline, "source", context.ComponentId + ".js"),
            (null, { } path) => (ReadFile(path), "file", path),
        };
        ScriptProgram program;
        try
        {
            program = ScriptProgram.Parse(text, documentName);
        }
        catch (ScriptSyntaxException ex)
        {
            var where = ex.Line == 0 ? "" : option == "file"
                ? string.Create(CultureInfo.InvariantCulture, $"{documentName}:{ex.Line}:{ex.Column}: ")
                : string.Create(CultureInfo.InvariantCulture, $"script line {ex.Line}, column {ex.Column}: ");
            throw new ComponentBuildException(option, $"{where}{ex.Description}");
        }
        if (!Enum.IsDefined(Engine))
        {
            throw new ComponentBuildException("engine", $"expected v8 or jint, found {Engine}");
        }
        if (Engine == ScriptEngineKind.V8 && !(OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64))
        {
            // The service ships ClearScript's native V8 for linux-x64 only; saying so here beats a crash at start.
            throw new ComponentBuildException("engine",
                $"v8 runs on linux-x64, this is {RuntimeInformation.OSDescription} {RuntimeInformation.ProcessArchitecture}; use engine: jint");
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in Outputs)
        {
            if (!OutputName().IsMatch(name))
            {
                throw new ComponentBuildException("outputs", $"output names are letters, digits, '_' and '-', found '{name}'");
            }
            if (!names.Add(name))
            {
                throw new ComponentBuildException("outputs", $"expected each output once, found '{name}' twice");
            }
        }
        if (CpuTimeLimit < TimeSpan.FromMilliseconds(1))
        {
            throw new ComponentBuildException("cpu_time_limit", $"expected at least 1ms, found {CpuTimeLimit}");
        }
        if (HeapLimit.Bytes < MinHeapBytes)
        {
            throw new ComponentBuildException("heap_limit", $"expected at least 16MiB, found {HeapLimit.Bytes} bytes");
        }
        return new ScriptProcessorFactory(context.ComponentId, program, File, Engine, new ScriptLimits(CpuTimeLimit, HeapLimit), [.. Outputs]);
    }

    private static string ReadFile(string path)
    {
        try
        {
            return System.IO.File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ComponentBuildException("file", $"expected a readable script file, found {path}: {ex.Message}");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex OutputName();
}

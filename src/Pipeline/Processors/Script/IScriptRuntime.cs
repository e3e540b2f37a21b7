namespace Pipeline.Processors.Script;

/// <summary>
/// One JavaScript engine instance with the user's script and the driver loaded: V8 or Jint. Used only from the
/// <see cref="ScriptThread"/> that created it, except <see cref="Interrupt"/>.
/// </summary>
internal interface IScriptRuntime : IDisposable
{
    /// <summary>Makes a .NET object a global of the script (before <see cref="Load"/>). Only tests do: the service exposes none.</summary>
    void Expose(string name, object value);

    /// <summary>Runs the user's script (its top level) and the driver; under the CPU-time limit like a call.</summary>
    /// <exception cref="ScriptException">The script's top level threw, or it defines no process function.</exception>
    void Load(ScriptProgram program, IReadOnlyList<string> outputNames);

    /// <summary>Runs the user's <c>process</c> over a JSON array of events; returns the driver's JSON result.</summary>
    /// <exception cref="ScriptLimitException">The call went past the heap limit, or was interrupted.</exception>
    string Run(string events);

    /// <summary>Stops the running call from another thread (the CPU-time watchdog, the hard stop).</summary>
    void Interrupt();
}

namespace Pipeline.Processors.Script;

/// <summary>Which JavaScript engine a script stage's isolates run.</summary>
public enum ScriptEngineKind
{
    /// <summary>V8 through ClearScript: native, compiled, the fast one.</summary>
    V8,

    /// <summary>Jint: an interpreter in managed code, for where a native engine is not wanted.</summary>
    Jint,
}

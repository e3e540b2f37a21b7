namespace Pipeline.Fuzzing;

public enum FuzzMode
{
    /// <summary>A fixed number of iterations on seeds drawn from one fixed seed: the same inputs every run.</summary>
    Fixed,

    /// <summary>Random seeds until a time budget runs out.</summary>
    Timed,

    /// <summary>One given seed.</summary>
    Replay,
}

namespace Pipeline.Host;

/// <summary>
/// The process's exit codes, one place for docs/cli.md to match. Usage errors (an unknown option, a missing
/// argument) are System.CommandLine's own: 1, with the error and a usage hint on stderr.
/// </summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The service failed while running: a drain that timed out, a port taken, every event dead-lettered, a crash.</summary>
    public const int Failure = 1;

    /// <summary>
    /// EX_CONFIG from sysexits.h, as Vector exits: the config is invalid or cannot be read, or an environment setting is
    /// bad. Restarting will not help, so a supervisor can tell it from a failure that may pass.
    /// </summary>
    public const int ConfigError = 78;
}

namespace Pipeline.Telemetry;

/// <summary>
/// A telemetry setting that is wrong: which one, and what was expected and found. Telemetry settings are resolved
/// from YAML and the environment; both resolutions (traces and logs) report every error this way, so the config
/// loader can point a YAML option at its line and column and name an environment variable as such.
/// </summary>
/// <param name="Setting">A YAML option by its full path (<c>telemetry.traces.protocol</c>), or an environment variable's name.</param>
/// <param name="Message">What was expected and what was found.</param>
public sealed record SettingError(string Setting, string Message)
{
    /// <summary>True when the value came from YAML under <paramref name="section"/> (e.g. <c>telemetry.traces</c>).</summary>
    public bool IsOptionOf(string section, out string option)
    {
        ArgumentNullException.ThrowIfNull(section);
        if (Setting.Length > section.Length + 1 && Setting.StartsWith(section, StringComparison.Ordinal) && Setting[section.Length] == '.')
        {
            option = Setting[(section.Length + 1)..];
            return true;
        }
        option = "";
        return false;
    }

    public override string ToString() => $"{Setting}: {Message}";
}

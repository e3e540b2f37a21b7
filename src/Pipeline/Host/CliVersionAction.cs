using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;

namespace Pipeline.Host;

/// <summary>
/// <c>--version</c>: prints this assembly's informational version. The built-in action reads the entry assembly,
/// which is the test host when the CLI runs in-process.
/// </summary>
internal sealed class CliVersionAction : SynchronousCommandLineAction
{
    public static string Version { get; } =
        typeof(CliVersionAction).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(CliVersionAction).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    public override int Invoke(ParseResult parseResult)
    {
        parseResult.InvocationConfiguration.Output.WriteLine(Version);
        return 0;
    }
}

using System.Diagnostics;
using Pipeline.Tests.Support;

namespace Pipeline.Tests.Deploy;

/// <summary>
/// A command-line tool the deploy assets are checked with (promtool, prometheus, kubectl, docker-compose, yamllint,
/// bash). CI installs them (.ci/run); where one is missing the test that needs it is skipped, saying which package
/// provides it, rather than passing without having checked anything.
/// </summary>
internal sealed class ExternalTool
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    private ExternalTool(string name, string path)
    {
        Name = name;
        FilePath = path;
    }

    public string Name { get; }

    public string FilePath { get; }

    /// <summary>
    /// The tool on PATH, or skips the calling test. An environment variable named after the tool in capitals
    /// (KUBECTL, PROMTOOL, …) points at another binary, e.g. to check the manifests with an older kubectl.
    /// </summary>
    /// <param name="package">The Debian package that provides it, for the skip message.</param>
    public static ExternalTool Require(string name, string package)
    {
        var overridden = Environment.GetEnvironmentVariable(name.ToUpperInvariant().Replace('-', '_'));
        if (!string.IsNullOrEmpty(overridden) && File.Exists(overridden))
        {
            return new ExternalTool(name, overridden);
        }
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = System.IO.Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return new ExternalTool(name, candidate);
            }
        }
        Assert.Skip($"{name} is not installed (Debian package '{package}'; .ci/run installs it in CI)");
        throw new InvalidOperationException("unreachable: Assert.Skip throws");
    }

    /// <summary>Runs the tool to completion. A tool still running after the timeout is killed and the test fails.</summary>
    public async Task<ToolResult> RunAsync(IEnumerable<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        using var process = Start(arguments, workingDirectory);
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(timeout ?? DefaultTimeout, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Name} {string.Join(' ', arguments)} did not finish within {timeout ?? DefaultTimeout}");
        }
        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts the tool and leaves it running (a server); the caller kills it.</summary>
    public Process Start(IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var startInfo = new ProcessStartInfo(FilePath)
        {
            WorkingDirectory = workingDirectory ?? RepositoryRoot.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        return Process.Start(startInfo) ?? throw new InvalidOperationException($"{FilePath} did not start");
    }
}

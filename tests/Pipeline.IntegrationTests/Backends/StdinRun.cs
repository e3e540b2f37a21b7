using System.Diagnostics;

namespace Pipeline.IntegrationTests.Backends;

/// <summary>The real binary run to its exit on a config, with text as its standard input: <c>printf … | pipeline run -c x.yaml</c>.</summary>
internal static class StdinRun
{
    /// <summary>Runs it; kills it and throws <see cref="TimeoutException"/> when it has not exited within <paramref name="hangGuard"/>.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string config, string input, string workingDirectory, TimeSpan hangGuard)
    {
        var start = new ProcessStartInfo(PipelineProcess.Executable, ["run", "--config", config])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        start.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = null;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(hangGuard, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            process.Kill();
            throw;
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}

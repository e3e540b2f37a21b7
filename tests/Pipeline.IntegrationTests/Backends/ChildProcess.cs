using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Pipeline.IntegrationTests.Backends;

/// <summary>
/// A backend or the pipeline as a child process: its output lines are kept (read only for assertions and when startup
/// fails), and it is stopped with SIGTERM, then killed if it does not exit within the grace period.
/// </summary>
internal sealed partial class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ConcurrentQueue<string> _stderr = new();

    // Tests waiting for a line of output: the text each waits for, completed by the reader that sees it.
    private readonly List<(string Text, TaskCompletionSource Seen)> _lineWaiters = [];

    private ChildProcess(Process process) => _process = process;

    public string Name { get; private init; } = "";

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public IReadOnlyCollection<string> StdoutLines => _stdout;

    public IReadOnlyCollection<string> StderrLines => _stderr;

    public static ChildProcess Start(string name, string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment, string workingDirectory)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment)
        {
            // null removes a variable inherited from the machine running the tests.
            if (value is null)
            {
                startInfo.Environment.Remove(key);
            }
            else
            {
                startInfo.Environment[key] = value;
            }
        }
        var process = new Process { StartInfo = startInfo };
        var child = new ChildProcess(process) { Name = name };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { child._stdout.Enqueue(e.Data); child.Notify(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { child._stderr.Enqueue(e.Data); child.Notify(e.Data); } };
        if (!process.Start())
        {
            throw new InvalidOperationException($"{fileName} did not start");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>
    /// Waits until <paramref name="client"/> gets a success answer from <paramref name="path"/>; fails at once with
    /// the process's output when it exits first, and after <paramref name="within"/> when it never answers.
    /// </summary>
    public async Task WaitUntilAnswersAsync(HttpClient client, string path, TimeSpan within)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < within)
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"{Name} exited before it was ready:\n{Tail()}");
            }
            try
            {
                using var response = await client.GetAsync(path, TestContext.Current.CancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200), TestContext.Current.CancellationToken);
        }
        throw new TimeoutException($"{Name} was not ready within {within}:\n{Tail()}");
    }

    /// <summary>
    /// Completes when a line of its output (stdout or stderr) contains <paramref name="text"/>, whether it was written
    /// already or comes later; fails with the output when the process exits first or <paramref name="within"/> passes.
    /// </summary>
    public async Task WaitForOutputAsync(string text, TimeSpan within)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lineWaiters)
        {
            _lineWaiters.Add((text, seen));
        }
        if (_stdout.Concat(_stderr).Any(line => line.Contains(text, StringComparison.Ordinal)))
        {
            seen.TrySetResult();
        }
        var exited = _process.WaitForExitAsync(CancellationToken.None);
        try
        {
            if (await Task.WhenAny(seen.Task, exited).WaitAsync(within, CancellationToken.None) != seen.Task)
            {
                // Its output is read to the end before WaitForExitAsync completes: a line written before the exit was seen.
                if (!seen.Task.IsCompleted)
                {
                    throw new InvalidOperationException($"{Name} exited before writing \"{text}\":\n{Tail()}");
                }
            }
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Name} did not write \"{text}\" within {within}:\n{Tail()}");
        }
    }

    /// <summary>Sends SIGTERM and returns at once (<see cref="StopAsync"/> also waits for the exit).</summary>
    public void Terminate() => _ = Kill(_process.Id, SigTerm);

    /// <summary>Sends SIGHUP (reload the config) and returns at once.</summary>
    public void HangUp() => _ = Kill(_process.Id, SigHup);

    /// <summary>Its exit code once it exits, or null when it is still running after <paramref name="within"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan within)
    {
        try
        {
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(within, CancellationToken.None);
            return _process.ExitCode;
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>The last lines of its output, for a failure message.</summary>
    public string Tail(int lines = 40) =>
        $"{Name} stdout:\n{string.Join('\n', _stdout.TakeLast(lines))}\n{Name} stderr:\n{string.Join('\n', _stderr.TakeLast(lines))}";

    /// <summary>SIGTERM, as Kubernetes stops a pod; the exit code, or null when it had to be killed.</summary>
    public async Task<int?> StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return _process.ExitCode;
        }
        _ = Kill(_process.Id, SigTerm);
        try
        {
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(grace, CancellationToken.None);
            return _process.ExitCode;
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
            return null;
        }
    }

    /// <summary>SIGKILL, and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(20));
        _process.Dispose();
    }

    private const int SigTerm = 15;
    private const int SigHup = 1;

    private void Notify(string line)
    {
        lock (_lineWaiters)
        {
            foreach (var (text, seen) in _lineWaiters)
            {
                if (line.Contains(text, StringComparison.Ordinal))
                {
                    seen.TrySetResult();
                }
            }
        }
    }

    // .NET has no public API to send a signal other than SIGKILL; a graceful stop needs SIGTERM.
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

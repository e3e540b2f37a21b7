using System.Runtime.InteropServices;
using Pipeline.IntegrationTests.Backends;

namespace Pipeline.IntegrationTests;

/// <summary>
/// SIGTERM is honoured while the service is still starting: the real binary as a child process, held in start-up by
/// a step the test controls, stops promptly with a clean exit instead of finishing start-up (or ignoring the signal)
/// first.
/// </summary>
/// <remarks>
/// The step is a disk buffer's recovery, which opens every segment left from the last run while the topology is
/// built: a segment that is a named pipe (FIFO) stands for a disk that does not answer, because opening it for reading
/// waits in the kernel until the test opens it for writing. The test sends SIGTERM once the service is seen waiting
/// there (its main thread's wchan), sees the signal logged while it still waits, then lets the open complete: the service
/// must stop at the next component or isolate instead of starting. Nothing here depends on timing.
/// </remarks>
public sealed partial class StartupStopTests
{
    private static readonly TimeSpan ExitsWithin = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private const string Yaml = """
        name: it-startup-stop
        data_dir: {data_dir}
        admin: { address: "{admin}" }
        sources:
          gen: { type: generator, rate: 100 }
        sinks:
          out: { type: blackhole, inputs: [gen], buffer: { type: disk, max_size: 16MiB } }
        """;

    [Fact]
    public async Task Sigterm_while_the_topology_is_being_built_stops_the_service_promptly_with_exit_code_0()
    {
        string segment = "";
        await using var pipeline = await PipelineProcess.LaunchAsync("startup-stop", Yaml, directory =>
        {
            var buffer = Path.Combine(directory, "data", "buffers", "out");
            Directory.CreateDirectory(buffer);
            segment = Path.Combine(buffer, "00000000000000000001.seg");
            Assert.Equal(0, MakeFifo(segment, Convert.ToUInt32("600", 8)));
        });
        try
        {
            // The signal handlers are registered before the topology is built, so they are in place by then. The service
            // builds its topology on its main thread (nothing before it yields).
            await WaitUntilAsync(() => pipeline.IsMainThreadWaitingIn("wait_for_partner"), pipeline);

            pipeline.Terminate();
            await pipeline.WaitForOutputAsync("SIGTERM received", HangGuard);
            Assert.True(pipeline.IsMainThreadWaitingIn("wait_for_partner"), "the service should still wait for its buffer segment");
        }
        finally
        {
            // The "disk" answers: opening the other end lets the recovery go on (and never leaves the service stuck).
            var released = Task.Run(() => File.OpenHandle(segment, FileMode.Open, FileAccess.Write, FileShare.ReadWrite).Dispose(), TestContext.Current.CancellationToken);
            if (await Task.WhenAny(released, Task.Delay(HangGuard, TestContext.Current.CancellationToken)) != released)
            {
                Assert.Fail($"the service never opened its buffer segment:\n{pipeline.Tail()}");
            }
        }

        var exitCode = await pipeline.WaitForExitAsync(ExitsWithin);

        Assert.True(exitCode == 0, $"expected exit code 0 within {ExitsWithin}, found {exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "still running"}:\n{pipeline.Tail()}");
        var messages = pipeline.LogLines().Select(l => l.GetProperty("message").GetString() ?? "").ToList();
        var signalled = messages.FindIndex(m => m.StartsWith("SIGTERM received", StringComparison.Ordinal));
        var recovered = messages.FindIndex(m => m.StartsWith("out: its disk buffer holds 0 events", StringComparison.Ordinal));
        var stopped = messages.FindIndex(m => m.StartsWith("Stop requested during start-up (while the topology was built)", StringComparison.Ordinal));
        Assert.True(signalled >= 0 && signalled < recovered && recovered < stopped, string.Join('\n', messages));
        Assert.DoesNotContain(messages, m => m.Contains("started:", StringComparison.Ordinal) || m.Contains("running from", StringComparison.Ordinal));
    }

    /// <summary>Polls a condition the service cannot be signalled about, failing with its output after the hang guard.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition, PipelineProcess pipeline)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.False(pipeline.HasExited, $"the service exited first:\n{pipeline.Tail()}");
            Assert.True(clock.Elapsed < HangGuard, $"the service did not reach its buffer segment within {HangGuard}:\n{pipeline.Tail()}");
            await Task.Delay(TimeSpan.FromMilliseconds(20), TestContext.Current.CancellationToken);
        }
    }

    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MakeFifo(string path, uint mode);
}

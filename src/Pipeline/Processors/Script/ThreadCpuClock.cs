using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Pipeline.Processors.Script;

/// <summary>
/// The CPU time one thread has used, readable from any thread: a script's <c>cpu_time_limit</c> counts the CPU its
/// call used, not the wall-clock time, which on a busy node includes waiting for a core. .NET exposes no per-thread
/// CPU clock of another thread, so this asks libc for the thread's POSIX CPU-time clock (pthread_getcpuclockid), and
/// falls back to wall-clock time where there is none.
/// </summary>
internal sealed partial class ThreadCpuClock
{
    private readonly int _clockId;
    private readonly bool _isCpuClock;

    private ThreadCpuClock(int clockId, bool isCpuClock)
    {
        _clockId = clockId;
        _isCpuClock = isCpuClock;
    }

    /// <summary>The clock of the calling thread.</summary>
    public static ThreadCpuClock ForCurrentThread()
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                if (PthreadGetCpuClockId(PthreadSelf(), out var clockId) == 0 && ClockGetTime(clockId, out _) == 0)
                {
                    return new ThreadCpuClock(clockId, isCpuClock: true);
                }
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                // A libc without these (not glibc or musl): wall-clock time is the conservative stand-in.
            }
        }
        return new ThreadCpuClock(0, isCpuClock: false);
    }

    /// <summary>Now, on this clock.</summary>
    public TimeSpan Read()
    {
        if (_isCpuClock && ClockGetTime(_clockId, out var time) == 0)
        {
            return TimeSpan.FromTicks((time.Seconds * TimeSpan.TicksPerSecond) + (time.Nanoseconds / TimeSpan.NanosecondsPerTick));
        }
        return Stopwatch.GetElapsedTime(0);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "pthread_self")]
    private static partial nuint PthreadSelf();

    [LibraryImport("libc", EntryPoint = "pthread_getcpuclockid")]
    private static partial int PthreadGetCpuClockId(nuint thread, out int clockId);

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, out Timespec time);
}

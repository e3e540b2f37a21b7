namespace Pipeline.Bench.Throughput;

/// <summary>An <see cref="IsolateArm"/>'s figures at one isolate count.</summary>
/// <param name="EventsPerSecond">The best run's events per second.</param>
/// <param name="MedianEventsPerSecond">The median run's: one fast or slow run moves it less than the best.</param>
/// <param name="Cores">CPU time over wall time in that run, workers' included: short of the isolate count when the
/// isolates waited (on each other, a pipe) or other processes held the cores.</param>
/// <param name="Others">Cores other processes kept busy meanwhile (the machine's busy time less this run's).</param>
/// <param name="StartMilliseconds">Per isolate, from asking for its instance to its first event transformed.</param>
/// <param name="MemoryMib">Per isolate, PSS of this process and the instances' children, after less before.</param>
internal sealed record ArmFigures(double EventsPerSecond, double MedianEventsPerSecond, double Cores, double Others, double StartMilliseconds, double MemoryMib);

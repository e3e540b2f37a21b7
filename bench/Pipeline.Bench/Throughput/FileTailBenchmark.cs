using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// Tailing Kubernetes container logs: pre-generated CRI files (like /var/log/containers) read from the beginning by
/// the real pipeline binary as a child process, in three variants, and by Debian's syslog-ng doing the same split and
/// JSON parse into a file. Each process's CPU time (utime+stime) and peak RSS (VmHWM) are read from /proc once the
/// last event has arrived: they are the tool's own, without this load driver. Then 1,000 files appended concurrently
/// at a steady rate, with the file source's lag sampled every second.
/// </summary>
internal static class FileTailBenchmark
{
    private const int Files = 10;
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(int events, int manyFiles, int manyRate, int manySeconds)
    {
        var repo = BenchHost.FindRepository();
        var pipelineDll = Path.Combine(repo, "src", "Pipeline", "bin", "Release", "net10.0", "pipeline.dll");
        if (!File.Exists(pipelineDll))
        {
            Console.WriteLine($"file-tail: {pipelineDll} not found; build it first: dotnet build src/Pipeline -c Release");
            return;
        }
        var work = Directory.CreateTempSubdirectory("pipeline-bench-file-tail-");
        try
        {
            var containers = Path.Combine(work.FullName, "containers");
            Directory.CreateDirectory(containers);
            var generate = Stopwatch.StartNew();
            var (lines, bytes) = Generate(containers, events);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"file-tail input files={Files} lines={lines} bytes={bytes} mib={bytes / 1048576.0:F1} avg_line_bytes={(double)bytes / lines:F1} generate_s={generate.Elapsed.TotalSeconds:F2} dir={containers}"));
            var glob = Path.Combine(containers, "*.log");

            // The image and the DaemonSet set DOTNET_GCgen0size=0x400000 (a 4 MiB gen0 budget, for peak RSS): each variant
            // runs as shipped, and the main one once more with the runtime's default budget.
            (string Name, string Stages, bool DefaultGen0)[] variants =
            [
                ("file>parse_cri>kubernetes>blackhole", $$"""
                    sources:
                      logs: { type: file, include: ["{{glob}}"], read_from: beginning }
                    stages:
                      cri: { type: parse_cri, inputs: [logs], field: .message }
                      k8s: { type: kubernetes, inputs: [cri] }
                    sinks:
                      out: { type: blackhole, inputs: [k8s] }
                    """, false),
                ("file{cri}>kubernetes>blackhole", $$"""
                    sources:
                      logs: { type: file, include: ["{{glob}}"], read_from: beginning, format: cri }
                    stages:
                      k8s: { type: kubernetes, inputs: [logs] }
                    sinks:
                      out: { type: blackhole, inputs: [k8s] }
                    """, false),
                ("file{cri}>parse_json>kubernetes>blackhole", $$"""
                    sources:
                      logs: { type: file, include: ["{{glob}}"], read_from: beginning, format: cri }
                    stages:
                      json: { type: parse_json, inputs: [logs], field: .message, target: . }
                      k8s: { type: kubernetes, inputs: [json] }
                    sinks:
                      out: { type: blackhole, inputs: [k8s] }
                    """, false),
            ];
            variants = [.. variants, (variants[1].Name + " default-gen0", variants[1].Stages, true)];
            var results = new List<(string Name, Measurement M)>();
            foreach (var (name, stages, defaultGen0) in variants)
            {
                var m = await RunPipelineAsync(pipelineDll, stages, lines, defaultGen0).ConfigureAwait(false);
                if (m is null)
                {
                    continue;
                }
                results.Add((name, m));
                Print($"file-tail pipeline={name}", lines, bytes, m);
            }

            var syslogNg = await RunSyslogNgAsync(work.FullName, containers, lines).ConfigureAwait(false);
            if (syslogNg is not null)
            {
                Print("file-tail syslog-ng=wildcard-file>csv-parser(cri)>csv-parser(path)>json-parser>file", lines, bytes, syslogNg);
                foreach (var (name, m) in results)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"file-tail ratio events_per_cpu_s pipeline/syslog-ng={m.EventsPerCpuSecond(lines) / syslogNg.EventsPerCpuSecond(lines):F2} pipeline={name} peak_rss_mib pipeline={m.PeakRssMib:F0} syslog-ng={syslogNg.PeakRssMib:F0}"));
                }
            }
            Console.WriteLine("file-tail target: events_per_cpu_s at least 10x syslog-ng's, peak RSS under 100 MiB");

            await ManyFilesAsync(pipelineDll, work.FullName, manyFiles, manyRate, manySeconds).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException ex)
            {
                Console.WriteLine($"file-tail: could not remove {work.FullName}: {ex.Message}");
            }
        }
    }

    private static void Print(string prefix, long lines, long bytes, Measurement m) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{prefix} events={m.Delivered} bytes={bytes} wall_s={m.WallSeconds:F2} ready_s={m.ReadySeconds:F2} events_per_s={lines / m.WallSeconds:F0} mib_per_s={bytes / 1048576.0 / m.WallSeconds:F1} cpu_s={m.CpuSeconds:F2} cpu_us_per_event={m.CpuSeconds * 1e6 / lines:F2} events_per_cpu_s={m.EventsPerCpuSecond(lines):F0} peak_rss_mib={m.PeakRssMib:F1} cpu_startup_s={m.CpuAtReadySeconds:F2}"));

    /// <param name="CpuAtReadySeconds">CPU spent starting up (JIT, config), before the first line is read; NaN when unknown.</param>
    private sealed record Measurement(long Delivered, double WallSeconds, double ReadySeconds, double CpuSeconds, double PeakRssMib, double CpuAtReadySeconds)
    {
        public double EventsPerCpuSecond(long lines) => lines / CpuSeconds;
    }

    // ---------------------------------------------------------------- input

    private static readonly string[] Levels = ["info", "info", "info", "info", "info", "debug", "warn", "error"];
    private static readonly string[] Messages =
        ["request completed", "cache miss", "session refreshed", "upstream call done", "payment authorized", "slow db query", "rate limited", "order created"];
    private static readonly string[] Paths =
        ["/api/v1/orders/{0}", "/api/v1/users/{0}/profile", "/api/v1/cart/{0}/items", "/api/v2/search?page={0}", "/api/v1/payments/{0}", "/healthz"];
    private static readonly string[] Apps = ["checkout", "cart", "payments", "search", "frontend", "catalog", "users", "orders", "gateway", "worker"];
    private static readonly string[] Namespaces = ["shop", "payments", "default", "web", "backend"];

    private static string PodFileName(Random random, int index)
    {
        var app = Apps[index % Apps.Length];
        var ns = Namespaces[index % Namespaces.Length];
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        var rs = string.Concat(Enumerable.Range(0, 10).Select(_ => alphabet[random.Next(alphabet.Length)]));
        var pod = string.Concat(Enumerable.Range(0, 5).Select(_ => alphabet[random.Next(alphabet.Length)]));
        return $"{app}-{rs}-{pod}{(index >= Apps.Length ? "-" + index.ToString(CultureInfo.InvariantCulture) : "")}_{ns}_{app}-{Hex(random, 32)}.log";
    }

    private static string Hex(Random random, int bytes)
    {
        Span<byte> b = stackalloc byte[bytes];
        random.NextBytes(b);
        return Convert.ToHexStringLower(b);
    }

    /// <summary>One CRI line (~240 bytes) whose log is an app's JSON record.</summary>
    private static void AppendLine(StringBuilder line, Random random, DateTime time)
    {
        var level = Levels[random.Next(Levels.Length)];
        var path = string.Format(CultureInfo.InvariantCulture, Paths[random.Next(Paths.Length)], random.Next(1, 999_999));
        var status = level == "error" ? 500 + random.Next(4) : level == "warn" ? 429 : 200 + random.Next(2) * 4;
        line.Append(CultureInfo.InvariantCulture, $"{time:yyyy-MM-ddTHH:mm:ss.fffffff}{random.Next(100):D2}Z ")
            .Append(level == "error" ? "stderr" : "stdout").Append(" F ")
            .Append(CultureInfo.InvariantCulture,
                $$"""{"level":"{{level}}","ts":"{{time:yyyy-MM-ddTHH:mm:ss.fff}}Z","msg":"{{Messages[random.Next(Messages.Length)]}}","user_id":{{random.Next(1, 2_000_000)}},"path":"{{path}}","status":{{status}},"duration_ms":{{random.NextDouble() * 800:F3}},"trace_id":"{{Hex(random, 16)}}"}""")
            .Append('\n');
    }

    private static (long Lines, long Bytes) Generate(string dir, int events)
    {
        var random = new Random(20240501);
        var perFile = events / Files;
        var time = new DateTime(2024, 5, 1, 10, 0, 0, DateTimeKind.Utc);
        var line = new StringBuilder(512);
        long total = 0, bytes = 0;
        for (var f = 0; f < Files; f++)
        {
            var count = f == Files - 1 ? events - perFile * (Files - 1) : perFile;
            var path = Path.Combine(dir, PodFileName(random, f));
            using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), 1 << 20);
            for (var i = 0; i < count; i++)
            {
                time = time.AddTicks(random.Next(1, 20_000));
                line.Clear();
                AppendLine(line, random, time);
                writer.Write(line);
            }
            writer.Flush();
            total += count;
            bytes += writer.BaseStream.Length;
        }
        return (total, bytes);
    }

    // ---------------------------------------------------------------- pipeline

    private static async Task<Measurement?> RunPipelineAsync(string pipelineDll, string components, long lines, bool defaultGen0 = false)
    {
        var dataDir = Directory.CreateTempSubdirectory("pipeline-bench-file-tail-data-");
        try
        {
            var port = BenchHost.FreePort();
            var configPath = Path.Combine(dataDir.FullName, "pipeline.yaml");
            await File.WriteAllTextAsync(configPath, $"""
                name: bench
                data_dir: {dataDir.FullName}
                admin: {"{"} address: "127.0.0.1:{port}" {"}"}
                {components}
                """).ConfigureAwait(false);
            using var child = new Child("dotnet", [pipelineDll, "run", "--config", configPath], defaultGen0 ? null : ShippedEnvironment);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            var ready = await WaitReadyAsync(http, child).ConfigureAwait(false);
            if (ready is null)
            {
                child.Fail("the pipeline did not become ready");
                return null;
            }
            var (cpuAtReady, _) = child.Usage();
            long sent = 0;
            var lastChange = child.Clock.Elapsed;
            while (true)
            {
                var metrics = await MetricsAsync(http).ConfigureAwait(false);
                var now = metrics is null ? sent : SumSeries(metrics, "pipeline_component_sent_events_total", "component_id=\"out\"");
                if (now != sent)
                {
                    sent = now;
                    lastChange = child.Clock.Elapsed;
                }
                if (sent >= lines)
                {
                    break;
                }
                if (child.Process.HasExited || child.Clock.Elapsed - lastChange > StallTimeout)
                {
                    child.Fail($"stalled at {sent} of {lines} events");
                    return null;
                }
                // 100 ms: each scrape costs the child CPU, which would be counted as its own.
                await Task.Delay(100).ConfigureAwait(false);
            }
            var wall = child.Clock.Elapsed.TotalSeconds;
            var (cpu, rss) = child.Usage();
            // Sanity, after the CPU was read: every path understood by kubernetes, no errors, every line read once.
            if (await MetricsAsync(http).ConfigureAwait(false) is { } final)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"file-tail check read_lines={SumSeries(final, "pipeline_file_read_lines_total", null)} sent={SumSeries(final, "pipeline_component_sent_events_total", "component_id=\"out\"")} kubernetes_unmatched_paths={SumSeries(final, "pipeline_kubernetes_unmatched_paths_total", null)} component_errors={SumSeries(final, "pipeline_component_errors_total", null)} dead_letter_events={SumSeries(final, "pipeline_dead_letter_events_total", null)}"));
            }
            await child.StopAsync().ConfigureAwait(false);
            return new Measurement(sent, wall, ready.Value, cpu, rss, cpuAtReady);
        }
        finally
        {
            dataDir.Delete(recursive: true);
        }
    }

    private static async Task<double?> WaitReadyAsync(HttpClient http, Child child)
    {
        while (child.Clock.Elapsed < TimeSpan.FromSeconds(60) && !child.Process.HasExited)
        {
            try
            {
                using var response = await http.GetAsync("/readyz").ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return child.Clock.Elapsed.TotalSeconds;
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(20).ConfigureAwait(false);
        }
        return null;
    }

    private static async Task<string?> MetricsAsync(HttpClient http)
    {
        try
        {
            return await http.GetStringAsync("/metrics").ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>The sum of a metric's series whose labels contain <paramref name="labelFilter"/> (null: all).</summary>
    private static long SumSeries(string metrics, string name, string? labelFilter)
    {
        double sum = 0;
        foreach (var line in metrics.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length <= name.Length || (line[name.Length] != '{' && line[name.Length] != ' '))
            {
                continue;
            }
            if (labelFilter is not null && !line.Contains(labelFilter, StringComparison.Ordinal))
            {
                continue;
            }
            sum += double.Parse(line.AsSpan(line.LastIndexOf(' ') + 1), NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return (long)sum;
    }

    // ---------------------------------------------------------------- syslog-ng

    private static async Task<Measurement?> RunSyslogNgAsync(string work, string containers, long lines)
    {
        const string binary = "/usr/sbin/syslog-ng";
        if (!File.Exists(binary))
        {
            Console.WriteLine($"file-tail syslog-ng: skipped, {binary} not found (apt-get install -y syslog-ng-core)");
            return null;
        }
        var version = SyslogNgVersion(binary);
        if (version is null)
        {
            Console.WriteLine("file-tail syslog-ng: skipped, `syslog-ng --version` printed no Installer-Version");
            return null;
        }
        var dir = Directory.CreateDirectory(Path.Combine(work, "syslog-ng"));
        var output = Path.Combine(dir.FullName, "out.ndjson");
        var conf = Path.Combine(dir.FullName, "syslog-ng.conf");
        // The same work as the pipeline's third variant: split the CRI prefix, take pod, namespace and container from
        // the file name, parse the log's JSON; flow control so that nothing is dropped when the file writer lags.
        await File.WriteAllTextAsync(conf, $$"""
            @version: {{version}}
            options { stats-freq(0); keep-hostname(yes); };
            source s_in { wildcard-file(base-dir("{{containers}}") filename-pattern("*.log") recursive(no) flags(no-parse) follow-freq(1) max-files(100) log-fetch-limit(1000) log-iw-size(10000)); };
            parser p_cri { csv-parser(columns("cri.time", "cri.stream", "cri.flag", "cri.log") delimiters(" ") flags(greedy) dialect(escape-none) quote-pairs("")); };
            parser p_k8s { csv-parser(template("$(basename ${FILE_NAME})") columns("k8s.pod", "k8s.namespace", "k8s.container") delimiters("_") flags(greedy) dialect(escape-none) quote-pairs("")); };
            parser p_json { json-parser(template("${cri.log}") prefix(".json.")); };
            destination d_out { file("{{output}}" template("$(format-json --scope nv-pairs --scope dot-nv-pairs --exclude MESSAGE --exclude cri.log)\n")); };
            log { source(s_in); parser(p_cri); parser(p_k8s); parser(p_json); destination(d_out); flags(flow-control); };
            """).ConfigureAwait(false);
        using var child = new Child(binary,
            ["-F", "-f", conf, $"--persist-file={Path.Combine(dir.FullName, "syslog-ng.persist")}", $"--pidfile={Path.Combine(dir.FullName, "syslog-ng.pid")}",
                $"--control={Path.Combine(dir.FullName, "syslog-ng.ctl")}", "--no-caps"]);
        double? ready = null;
        long count = 0;
        var lastChange = TimeSpan.Zero;
        FileStream? reader = null;
        var buffer = new byte[1 << 20];
        try
        {
            while (true)
            {
                if (ready is null && File.Exists(Path.Combine(dir.FullName, "syslog-ng.pid")))
                {
                    ready = child.Clock.Elapsed.TotalSeconds;
                }
                if (reader is null && File.Exists(output))
                {
                    reader = new FileStream(output, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
                }
                if (reader is not null)
                {
                    int read;
                    while ((read = reader.Read(buffer)) > 0)
                    {
                        count += buffer.AsSpan(0, read).Count((byte)'\n');
                        lastChange = child.Clock.Elapsed;
                    }
                }
                if (count >= lines)
                {
                    break;
                }
                if (child.Process.HasExited || child.Clock.Elapsed - lastChange > StallTimeout)
                {
                    child.Fail($"syslog-ng stalled at {count} of {lines} lines");
                    return null;
                }
                await Task.Delay(20).ConfigureAwait(false);
            }
        }
        finally
        {
            reader?.Dispose();
        }
        var wall = child.Clock.Elapsed.TotalSeconds;
        var (cpu, rss) = child.Usage();
        await child.StopAsync().ConfigureAwait(false);
        using (var sample = new StreamReader(output))
        {
            var first = sample.ReadLine() ?? "";
            Console.WriteLine($"file-tail syslog-ng version={version} output_bytes={new FileInfo(output).Length} sample={(first.Length > 700 ? first[..700] + "..." : first)}");
        }
        File.Delete(output);
        return new Measurement(count, wall, ready ?? double.NaN, cpu, rss, double.NaN);
    }

    internal static string? SyslogNgVersion(string binary)
    {
        try
        {
            var info = new ProcessStartInfo(binary, "--version") { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(info)!;
            var text = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("Installer-Version:", StringComparison.Ordinal));
            if (line is null)
            {
                return null;
            }
            var parts = line["Installer-Version:".Length..].Trim().Split('.');
            return parts.Length >= 2 ? $"{parts[0]}.{parts[1]}" : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    // ---------------------------------------------------------------- many files

    private static async Task ManyFilesAsync(string pipelineDll, string work, int files, int rate, int seconds)
    {
        var dir = Directory.CreateDirectory(Path.Combine(work, "many", "containers"));
        var dataDir = Directory.CreateTempSubdirectory("pipeline-bench-file-tail-data-");
        try
        {
            var port = BenchHost.FreePort();
            var configPath = Path.Combine(dataDir.FullName, "pipeline.yaml");
            await File.WriteAllTextAsync(configPath, $$"""
                name: bench
                data_dir: {{dataDir.FullName}}
                admin: { address: "127.0.0.1:{{port}}" }
                sources:
                  logs: { type: file, include: ["{{Path.Combine(dir.FullName, "*.log")}}"], read_from: beginning, format: cri }
                stages:
                  k8s: { type: kubernetes, inputs: [logs] }
                sinks:
                  out: { type: blackhole, inputs: [k8s] }
                """).ConfigureAwait(false);
            using var child = new Child("dotnet", [pipelineDll, "run", "--config", configPath], ShippedEnvironment);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
            if (await WaitReadyAsync(http, child).ConfigureAwait(false) is null)
            {
                child.Fail("the pipeline did not become ready");
                return;
            }

            const int writers = 4;
            var names = new Random(99);
            var paths = Enumerable.Range(0, files).Select(i => Path.Combine(dir.FullName, PodFileName(names, i))).ToArray();
            long written = 0;
            var writing = Stopwatch.StartNew();
            var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                var mine = paths.Where((_, i) => i % writers == w)
                    .Select(p => new FileStream(p, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1)).ToArray();
                try
                {
                    var random = new Random(1000 + w);
                    var perWriter = (double)rate / writers;
                    var line = new StringBuilder(512);
                    var bytes = new byte[4096];
                    long mineWritten = 0;
                    var next = 0;
                    while (writing.Elapsed.TotalSeconds < seconds)
                    {
                        var due = (long)(perWriter * writing.Elapsed.TotalSeconds);
                        for (; mineWritten < due; mineWritten++)
                        {
                            line.Clear();
                            AppendLine(line, random, DateTime.UtcNow);
                            var length = Encoding.UTF8.GetBytes(line.ToString(), bytes);
                            mine[next].Write(bytes, 0, length); // one write(2) per whole line
                            next = (next + 1) % mine.Length;
                            Interlocked.Increment(ref written);
                        }
                        await Task.Delay(5).ConfigureAwait(false);
                    }
                }
                finally
                {
                    foreach (var stream in mine)
                    {
                        await stream.DisposeAsync().ConfigureAwait(false);
                    }
                }
            })).ToArray();

            long maxLag = 0, lag = 0, sent = 0, watched = 0, maxWatched = 0, samples = 0;
            var lagSeries = new List<long>();
            var allWritten = Task.WhenAll(tasks);
            TimeSpan? doneWriting = null;
            TimeSpan? delivered = null;
            var nextSample = TimeSpan.FromSeconds(1);
            while (true)
            {
                // Lag is sampled every second; once the writers are done, the sent count every 100 ms.
                await Task.Delay(100).ConfigureAwait(false);
                var sample = writing.Elapsed >= nextSample;
                if (!sample && !allWritten.IsCompleted)
                {
                    continue;
                }
                var metrics = await MetricsAsync(http).ConfigureAwait(false);
                if (metrics is not null)
                {
                    sent = SumSeries(metrics, "pipeline_component_sent_events_total", "component_id=\"out\"");
                    if (sample)
                    {
                        nextSample += TimeSpan.FromSeconds(1);
                        lag = SumSeries(metrics, "pipeline_file_lag_bytes", null);
                        watched = SumSeries(metrics, "pipeline_file_watched_files", null);
                        maxLag = Math.Max(maxLag, lag);
                        lagSeries.Add(lag);
                        maxWatched = Math.Max(maxWatched, watched);
                        samples++;
                    }
                }
                if (allWritten.IsCompleted)
                {
                    doneWriting ??= writing.Elapsed;
                    if (sent >= Interlocked.Read(ref written))
                    {
                        delivered ??= writing.Elapsed;
                        // The final lag: two more samples after the last event, so the gauge has had time to catch up.
                        if (writing.Elapsed - delivered.Value > TimeSpan.FromSeconds(2.5) && sample)
                        {
                            break;
                        }
                    }
                    else if (writing.Elapsed - doneWriting.Value > TimeSpan.FromSeconds(60) || child.Process.HasExited)
                    {
                        break;
                    }
                }
            }
            await allWritten.ConfigureAwait(false);
            var total = Interlocked.Read(ref written);
            var drain = delivered is { } at ? (at - doneWriting!.Value).TotalSeconds : double.NaN;
            var (cpu, rss) = child.Usage();
            await child.StopAsync().ConfigureAwait(false);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"file-tail many-files files={files} lines={total} rate_per_s={total / (double)seconds:F0} max_lag_bytes={maxLag} final_lag_bytes={lag} delivered={(sent == total ? "yes" : "no")} sent={sent} lag_samples={samples} watched_files={maxWatched} drain_after_writes_s={drain:F1} cpu_s={cpu:F2} peak_rss_mib={rss:F1}"));
            Console.WriteLine($"file-tail many-files lag_kib_per_second=[{string.Join(' ', lagSeries.Select(l => (l / 1024).ToString(CultureInfo.InvariantCulture)))}]");
        }
        finally
        {
            dataDir.Delete(recursive: true);
        }
    }

    /// <summary>What the Dockerfile and the DaemonSet set for the pipeline's runtime.</summary>
    internal static readonly Dictionary<string, string> ShippedEnvironment = new() { ["DOTNET_GCgen0size"] = "0x400000" };
}

namespace Pipeline.Bench.Throughput;

/// <summary>
/// Debian's syslog-ng doing the loop's work: stdin() -> json-parser -> a filter on level -> format-json into a file.
/// It runs to the end of its input under GNU time like the others. syslog-ng's stdin() refuses a regular file
/// without follow-freq() (and with it would follow the file forever), so the input reaches it through a pipe, at
/// whose end it exits by itself once its destination is flushed.
/// </summary>
internal static class SyslogNgVariant
{
    private const string Binary = "/usr/sbin/syslog-ng";

    public static async Task<VariantResult?> RunAsync(string work, string input, long events, TimeSpan timeout)
    {
        if (!File.Exists(Binary))
        {
            Console.WriteLine($"syslog-ng: skipped, {Binary} not found (apt-get install -y syslog-ng-core)");
            return null;
        }
        var version = FileTailBenchmark.SyslogNgVersion(Binary);
        if (version is null)
        {
            Console.WriteLine("syslog-ng: skipped, `syslog-ng --version` printed no Installer-Version");
            return null;
        }
        var dir = Directory.CreateDirectory(Path.Combine(work, "syslog-ng"));
        try
        {
            var output = Path.Combine(dir.FullName, "out.ndjson");
            var conf = Path.Combine(dir.FullName, "syslog-ng.conf");
            // flags(no-parse): each line is a message as it is; flow control so that nothing is dropped when the file
            // writer lags. format-json writes the parsed fields back under their own names (without type hints, 3.x
            // writes numbers as strings).
            await File.WriteAllTextAsync(conf, $$"""
                @version: {{version}}
                options { stats-freq(0); };
                source s_in { stdin(flags(no-parse) log-fetch-limit(1000) log-iw-size(10000)); };
                parser p_json { json-parser(prefix(".json.")); };
                filter f_keep { not "${.json.level}" eq "debug" };
                destination d_out { file("{{output}}" template("$(format-json --key .json.* --shift 6)\n")); };
                log { source(s_in); parser(p_json); filter(f_keep); destination(d_out); flags(flow-control); };
                """).ConfigureAwait(false);
            string[] command =
            [
                Binary, "-F", "-f", conf, $"--persist-file={Path.Combine(dir.FullName, "syslog-ng.persist")}",
                $"--pidfile={Path.Combine(dir.FullName, "syslog-ng.pid")}", $"--control={Path.Combine(dir.FullName, "syslog-ng.ctl")}", "--no-caps",
            ];
            var time = await TimedRun.RunAsync("syslog-ng", input, command, timeout, inputThroughPipe: true).ConfigureAwait(false);
            return time is null ? null : new VariantResult($"syslog-ng {version}", events, CompareCommand.CountLines([output]), time);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

using BenchmarkDotNet.Running;

namespace Pipeline.Bench;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "throughput")
        {
            return await Throughput.ThroughputCommand.RunAsync(args[1..]).ConfigureAwait(false);
        }
        if (args.Length > 0 && args[0] == "compare")
        {
            return await Throughput.CompareCommand.RunAsync(args[1..]).ConfigureAwait(false);
        }
        if (args.Length > 0 && args[0] == "loop")
        {
            return Throughput.CalibrationLoop.Run(args[1..]);
        }
        if (args.Length > 0 && args[0] == "hash-loop")
        {
            return Throughput.HashCeiling.RunLoop(args[1..]);
        }
        if (args.Length > 0 && args[0] == "isolates")
        {
            return await Throughput.IsolatesCommand.RunAsync(args[1..]).ConfigureAwait(false);
        }
        if (args.Length > 0 && args[0] == Throughput.WorkerLoop.Command)
        {
            return Throughput.WorkerLoop.Run();
        }
        if (args.Length > 0 && args[0] == Throughput.DigestRewriteLoop.Command)
        {
            return Throughput.DigestRewriteLoop.Run(args[1..]);
        }
        if (args.Length > 0 && args[0] == "fuzz")
        {
            return await Fuzz.FuzzCommand.RunAsync(args[1..]).ConfigureAwait(false);
        }
        if (args.Length > 0 && args[0] == "kafka-cluster")
        {
            return await Kafka.KafkaClusterCommand.RunAsync(args[1..]).ConfigureAwait(false);
        }
        if (args.Length > 0 && args[0] == "es-bulk")
        {
            return await Elasticsearch.BulkEndpointCommand.RunAsync().ConfigureAwait(false);
        }
        if (args.Length > 0 && args[0] == "micro")
        {
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args[1..]);
            return 0;
        }
        Console.Error.WriteLine("usage: Pipeline.Bench throughput [--events N] [--hash-events N] [--only e2e|hash|logs|delivery|buffer-log|file-tail|kafka-sink] [--runs R] [--sink-options 'YAML entries'] [--replay-events N] [--clients N] [--records N] [--sampling off|0.01|1] [--log-lines N] [--files N] [--rate N] [--seconds N] | compare [--events N] [--runs R] [--isolates 1,2] [--http-seconds S] [--pipeline PATH] [--skip-http] [--skip-syslog-ng] | loop <output-file> (NDJSON on standard input) | hash-loop N (the hash ceiling's child) | " + Throughput.IsolatesCommand.Usage + " | micro [BenchmarkDotNet arguments, e.g. --filter '*Event*' --job short] | " + Kafka.KafkaClusterCommand.Usage + " | " + Elasticsearch.BulkEndpointCommand.Usage + " | " + Fuzz.FuzzCommand.Usage);
        return 2;
    }
}

using Pipeline.Components;

namespace Pipeline.Sources;

public sealed class GeneratorSourceOptions
{
    [Option("Events per second; 0 sends as fast as downstream takes them.", Example = "5000")]
    public double Rate { get; set; }

    [Option("How many events to send before the source finishes; 0 never finishes.", Example = "1000000")]
    public long Count { get; set; }

    [Option("What the events look like. object: a ~245-byte log record with timestamp, level, service, host, method, path, status, duration_ms, user (an email), request_id and message. docker_json: that record as a JSON string in a log field with stream and time, as container runtimes write it (for parse_json).",
        Example = "docker_json")]
    public GeneratorShape Shape { get; set; } = GeneratorShape.Object;

    [Option("Seed of the random generator. Set, the output is byte-for-byte reproducible and timestamps start at 2025-01-01T00:00:00Z; unset, they start now.",
        Example = "42")]
    public int? Seed { get; set; }

    [Option("How many distinct events are rendered up front and then cycled through; the generator then costs no more than parsing them.", Example = "1024")]
    public int Distinct { get; set; } = 4096;
}

using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Processors;
using static Pipeline.Tests.Processors.ProcessorHarness;

namespace Pipeline.Tests.Processors;

public sealed class ContainerLogProcessorTests
{
    private const string T1 = "2024-05-01T10:00:00.123456789Z";
    private const string T2 = "2024-05-01T10:00:01.000000001Z";

    private static IProcessor Cri(ParseCriConfig? config = null) => Build(config ?? new ParseCriConfig()).CreateForIsolate(0);

    private static IProcessor Docker() => Build(new ParseDockerJsonConfig()).CreateForIsolate(0);

    /// <summary>An event as the file source makes it: the raw line, its file and the ingest time.</summary>
    private static Event FromFile(string rawLine, string file = "/var/log/pods/a/c/0.log")
    {
        var evt = Event.CreateEmpty();
        evt.SetString(Path(".message"), rawLine);
        evt.SetString(Path(".file"), file);
        evt.SetString(Path(".timestamp"), "2024-05-01T10:00:05Z");
        return evt;
    }

    private static string? RunToJson(IProcessor processor, Event evt)
        => Run(processor, evt).Default.SingleOrDefault()?.ToString();

    [Fact]
    public void Parse_cri_writes_the_message_stream_and_runtime_time_and_keeps_the_ingest_time()
        => Assert.Equal(
            $$"""{"message":"{\"level\":\"info\"}","file":"/var/log/pods/a/c/0.log","ingest_timestamp":"2024-05-01T10:00:05Z","stream":"stdout","timestamp":"{{T1}}"}""",
            RunToJson(Cri(), FromFile($$"""{{T1}} stdout F {"level":"info"}""")));

    [Fact]
    public void Without_a_timestamp_there_is_no_ingest_timestamp()
        => Assert.Equal(
            $$"""{"message":"hi","stream":"stderr","timestamp":"{{T1}}"}""",
            RunToJson(Cri(), Event.Parse($$"""{"message":"{{T1}} stderr F hi"}""")));

    [Fact]
    public void Parse_docker_json_writes_the_unescaped_message_stream_and_runtime_time()
        => Assert.Equal(
            $$"""{"message":"say \"hi\" é","file":"f","ingest_timestamp":"2024-05-01T10:00:05Z","stream":"stdout","timestamp":"{{T1}}"}""",
            RunToJson(Docker(), FromFile($$"""{"log":"say \"hi\" \u00e9\n","stream":"stdout","time":"{{T1}}"}""", "f")));

    [Fact]
    public void The_configured_field_is_read_and_replaced()
        => Assert.Equal(
            $$"""{"raw":"x","stream":"stdout","timestamp":"{{T1}}"}""",
            RunToJson(Cri(new ParseCriConfig { Field = Path(".raw") }), Event.Parse($$"""{"raw":"{{T1}} stdout F x"}""")));

    [Fact]
    public void Partial_pieces_are_not_emitted_and_the_final_event_carries_the_joined_line()
    {
        var processor = Cri();
        Assert.Null(RunToJson(processor, FromFile($"{T1} stdout P first ")));
        Assert.Null(RunToJson(processor, FromFile($"{T2} stdout P second ")));
        Assert.Equal(
            $$"""{"message":"first second last","file":"/var/log/pods/a/c/0.log","ingest_timestamp":"2024-05-01T10:00:05Z","stream":"stdout","timestamp":"{{T1}}"}""",
            RunToJson(processor, FromFile($"{T2} stdout F last")));
    }

    [Fact]
    public void Docker_partial_pieces_are_joined_by_the_processor()
    {
        var processor = Docker();
        Assert.Null(RunToJson(processor, FromFile($$"""{"log":"part ","stream":"stderr","time":"{{T1}}"}""")));
        Assert.Equal(
            $$"""{"message":"part end","file":"/var/log/pods/a/c/0.log","ingest_timestamp":"2024-05-01T10:00:05Z","stream":"stderr","timestamp":"{{T1}}"}""",
            RunToJson(processor, FromFile($$"""{"log":"end\n","stream":"stderr","time":"{{T2}}"}""")));
    }

    [Fact]
    public void Partial_lines_are_joined_per_file()
    {
        var processor = Cri();
        Assert.Null(RunToJson(processor, FromFile($"{T1} stdout P a-1 ", "a.log")));
        Assert.Null(RunToJson(processor, FromFile($"{T1} stdout P b-1 ", "b.log")));
        Assert.Contains("\"message\":\"b-1 b-2\"", RunToJson(processor, FromFile($"{T2} stdout F b-2", "b.log")), StringComparison.Ordinal);
        Assert.Contains("\"message\":\"a-1 a-2\"", RunToJson(processor, FromFile($"{T2} stdout F a-2", "a.log")), StringComparison.Ordinal);
    }

    [Fact]
    public void The_least_recently_used_file_is_evicted_past_the_partition_limit()
    {
        var processor = new ParseCri(Path(".message"), Path(".file"), 1024, maxPartitions: 2);
        RunToJson(processor, FromFile($"{T1} stdout P a-1 ", "a.log"));
        RunToJson(processor, FromFile($"{T1} stdout P b-1 ", "b.log"));
        RunToJson(processor, FromFile($"{T1} stdout F a-2", "a.log"));
        RunToJson(processor, FromFile($"{T1} stdout P c-1 ", "c.log"));

        Assert.Equal(2, processor.PartitionCount);
        // b.log was used least recently, so its pending piece went with its decoder.
        Assert.Contains("\"message\":\"b-2\"", RunToJson(processor, FromFile($"{T2} stdout F b-2", "b.log")), StringComparison.Ordinal);
        Assert.Contains("\"message\":\"c-1 c-2\"", RunToJson(processor, FromFile($"{T2} stdout F c-2", "c.log")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_joined_line_over_max_merged_line_bytes_is_cut_and_flagged()
    {
        var processor = Cri(new ParseCriConfig { MaxMergedLineBytes = new ByteSize(5) });
        Assert.Null(RunToJson(processor, Event.Parse($$"""{"message":"{{T1}} stdout P 1234"}""")));
        Assert.Null(RunToJson(processor, Event.Parse($$"""{"message":"{{T1}} stdout P 5678"}""")));
        Assert.Equal(
            $$"""{"message":"12345","stream":"stdout","timestamp":"{{T1}}","truncated":true}""",
            RunToJson(processor, Event.Parse($$"""{"message":"{{T2}} stdout F 90"}""")));
    }

    [Fact]
    public void An_invalid_line_fails_permanently_with_the_reason_and_leaves_the_event_as_it_arrived()
    {
        var evt = FromFile("not a cri line");
        var before = evt.ToString();
        var ex = Assert.Throws<PermanentFailureException>(() => Run(Cri(), evt));
        Assert.Equal("parse_cri: field .message: not a CRI line: expected '<time> <stream> <P|F> <log>', found the time 'not' (expected RFC 3339 such as 2024-05-01T10:00:00.123456789Z)", ex.Message);
        Assert.Equal(before, evt.ToString());
    }

    [Fact]
    public void Invalid_docker_json_fails_permanently()
    {
        var ex = Assert.Throws<PermanentFailureException>(() => Run(Docker(), FromFile("{\"log\":")));
        Assert.StartsWith("parse_docker_json: field .message: not a Docker json-file line", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_or_non_string_field_fails_permanently()
    {
        Assert.Contains(".message is missing", Assert.Throws<PermanentFailureException>(() => Run(Cri(), Event.Parse("{}"))).Message, StringComparison.Ordinal);
        Assert.Contains("found a number", Assert.Throws<PermanentFailureException>(() => Run(Cri(), Event.Parse("""{"message":1}"""))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_partition_field_that_is_not_a_string_fails_permanently()
    {
        var ex = Assert.Throws<PermanentFailureException>(() => Run(Cri(), Event.Parse($$"""{"message":"{{T1}} stdout F x","file":7}""")));
        Assert.Contains("partition_field .file must be a string", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("field")]
    [InlineData("partition_field")]
    [InlineData("max_merged_line_bytes")]
    public void Bad_options_fail_the_build_naming_the_option(string option)
    {
        var config = option switch
        {
            "field" => new ParseDockerJsonConfig { Field = FieldPath.Root },
            "partition_field" => new ParseDockerJsonConfig { PartitionField = FieldPath.Root },
            _ => new ParseDockerJsonConfig { MaxMergedLineBytes = new ByteSize(0) },
        };
        Assert.Equal(option, Assert.Throws<ComponentBuildException>(() => Build(config)).Option);
    }
}

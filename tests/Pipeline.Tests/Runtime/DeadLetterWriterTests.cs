using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Pipeline.Events;
using Pipeline.Isolates;
using Pipeline.Telemetry;
using Serilog.Core;

namespace Pipeline.Tests.Runtime;

public sealed class DeadLetterWriterTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Directory.CreateTempSubdirectory("pipeline-dead-letter-").FullName;
    private readonly ComponentMetrics _component = PipelineMetrics.CreateIsolated().ForComponent("pipeline", "parse", "processor");

    private string DeadLetterPath => Path.Combine(_directory, "dead-letter.jsonl");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("""{"quote":"say \"hi\"","backslash":"C:\\logs\\app","control":"tab\there\u0001\u001F\nnext line"}""")]
    [InlineData("""{"accented":"café crème","chinese":"中文日志","emoji":"😀 outside the BMP"}""")]
    [InlineData("""{"html":"<b>Tom & Jerry's</b>","key<&>'":1}""")]
    [InlineData("""{"small":1.5e-7,"large":-12E+3,"exact":0.10,"big":123456789012345678901234567890}""")]
    [InlineData("""{"nested":{"list":[1,[2,{"deep":[null,true,false]}],{}],"empty":[]},"é":{"😀":"<&>"}}""")]
    [InlineData("""{"escaped":"\u00e9\u4e2d\ud83d\ude00\u003c\/"}""")]
    public void A_dead_lettered_event_holds_the_exact_bytes_a_sink_would_write(string json)
    {
        var evt = Event.Parse(json);

        var written = EventBytesOf(DeadLetter(evt));

        Assert.Equal(evt.ToUtf8Json(), written);
        Assert.Equal(evt.ToUtf8Json(), Event.Parse(written).ToUtf8Json());
        using var original = JsonDocument.Parse(json);
        using var reread = JsonDocument.Parse(written);
        Assert.True(JsonElement.DeepEquals(original.RootElement, reread.RootElement));
    }

    [Fact]
    public void A_dead_lettered_event_is_written_as_the_stages_left_it()
    {
        var evt = Event.Parse("""{"message":"plain"}""");
        evt.SetString(FieldPath.Parse(".message"), "he said \"stop\" 😀 <&>");
        evt.SetNumber(FieldPath.Parse(".ratio"), 1e300);
        evt.SetJson(FieldPath.Parse(".extra"), """{"k":["中文",{"\u00e9":"\t"}]}"""u8);

        var written = EventBytesOf(DeadLetter(evt));

        Assert.Equal(evt.ToUtf8Json(), written);
        Assert.Equal("""{"message":"he said \"stop\" 😀 <&>","ratio":1E+300,"extra":{"k":["中文",{"é":"\t"}]}}""", Encoding.UTF8.GetString(written));
    }

    [Fact]
    public void A_record_says_when_where_and_why_before_the_event()
    {
        var evt = Event.Parse("""{"msg":"café"}""");
        var traceId = ActivityTraceId.CreateRandom();
        var spanId = ActivitySpanId.CreateRandom();
        var context = new ActivityContext(traceId, spanId, ActivityTraceFlags.Recorded);

        var line = Encoding.UTF8.GetString(DeadLetter(evt, context));

        // The whole W3C context too, so a replay continues the event's trace.
        Assert.Equal(
            $$$"""{"timestamp":"2024-05-01T12:00:00+00:00","pipeline":"pipeline","component_id":"parse","reason":"boom","attempts":3,"source_id":"in","trace_id":"{{{traceId.ToHexString()}}}","traceparent":"00-{{{traceId.ToHexString()}}}-{{{spanId.ToHexString()}}}-01","event":{"msg":"café"}}""",
            line);
    }

    [Fact]
    public void Input_that_never_became_an_event_is_recorded_as_raw_text()
    {
        using (var writer = new DeadLetterWriter(DeadLetterPath, "pipeline", Logger.None, new FixedTime(Now)))
        {
            writer.WriteRaw(_component, "invalid JSON", "in", "{not json"u8);
        }

        Assert.Equal(
            """{"timestamp":"2024-05-01T12:00:00+00:00","pipeline":"pipeline","component_id":"parse","reason":"invalid JSON","attempts":1,"source_id":"in","raw":"{not json"}""",
            Assert.Single(File.ReadAllLines(DeadLetterPath)));
    }

    [Fact]
    public void Text_a_stage_had_not_parsed_yet_is_recorded_as_the_event_it_is_or_as_raw_text_when_it_is_none()
    {
        // Undrained at the hard stop before the stage parsed it: the record must still hold a replayable event.
        var valid = EventBytesOf(DeadLetter(Event.Unparsed("""{"level":"info","n":1}"""u8, inputLine: 4)));
        Assert.Equal("""{"level":"info","n":1}"""u8.ToArray(), valid);
        File.Delete(DeadLetterPath);

        var invalid = JsonDocument.Parse(DeadLetter(Event.Unparsed("""{"level":"""u8, inputLine: 5))).RootElement;
        Assert.False(invalid.TryGetProperty("event", out _));
        Assert.Equal("""{"level":""", invalid.GetProperty("raw").GetString());
    }

    /// <summary>Dead-letters <paramref name="evt"/> and returns the bytes of the one line written, without its
    /// line feed.</summary>
    private byte[] DeadLetter(Event evt, ActivityContext context = default)
    {
        using (var writer = new DeadLetterWriter(DeadLetterPath, "pipeline", Logger.None, new FixedTime(Now)))
        {
            writer.Write(_component, "boom", 3, new Envelope(evt, context, 0, 3, "in"));
        }
        var file = File.ReadAllBytes(DeadLetterPath);
        Assert.Equal((byte)'\n', file[^1]);
        Assert.Equal(file.Length - 1, Array.IndexOf(file, (byte)'\n'));
        return file[..^1];
    }

    /// <summary>The bytes of the record's <c>event</c> value exactly as they appear in the line.</summary>
    private static byte[] EventBytesOf(byte[] line)
    {
        using var record = JsonDocument.Parse(line);
        return JsonMarshal.GetRawUtf8Value(record.RootElement.GetProperty("event")).ToArray();
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Pipeline.Events;

namespace Pipeline.Bench.Micro;

/// <summary>
/// The event store against System.Text.Json's JsonNode on the work every event does: parse, change one field,
/// serialize. The event is a ~200-byte JSON log record like the throughput benchmark's generator produces.
/// </summary>
[MemoryDiagnoser]
public class EventBenchmarks
{
    private static readonly byte[] LogLine = Encoding.UTF8.GetBytes(
        """{"timestamp":"2024-05-01T12:00:00.123Z","host":"web-01","level":"info","service":"checkout","message":"order 1234 placed by user","user":{"id":4711,"name":"ada"},"duration_ms":12.5,"tags":["api","v2"]}""");

    private readonly ArrayBufferWriter<byte> _output = new(1024);
    private readonly FieldPath _processed = FieldPath.Parse(".processed");
    private readonly FieldPath _userName = FieldPath.Parse(".user.name");
    private readonly FieldPath _level = FieldPath.Parse(".level");
    private readonly FieldPath _duration = FieldPath.Parse(".duration_ms");
    private Utf8JsonWriter _writer = null!;
    private Event _parsed = null!;

    [GlobalSetup]
    public void Setup()
    {
        _writer = new Utf8JsonWriter(_output, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        _parsed = Event.Parse(LogLine);
    }

    [Benchmark(Baseline = true)]
    public int JsonNode_parse_set_serialize()
    {
        var node = JsonNode.Parse(LogLine)!.AsObject();
        node["processed"] = true;
        _output.ResetWrittenCount();
        _writer.Reset(_output);
        node.WriteTo(_writer);
        _writer.Flush();
        return _output.WrittenCount;
    }

    [Benchmark]
    public int Event_parse_set_serialize()
    {
        var evt = Event.Parse(LogLine);
        evt.SetBoolean(_processed, true);
        _output.ResetWrittenCount();
        evt.WriteTo(_output);
        evt.Release();
        return _output.WrittenCount;
    }

    [Benchmark]
    public int Event_serialize()
    {
        _output.ResetWrittenCount();
        _parsed.WriteTo(_output);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int Event_parse()
    {
        var evt = Event.Parse(LogLine);
        var size = evt.EstimatedSize;
        evt.Release();
        return size;
    }

    [Benchmark]
    public int Event_get_by_path()
    {
        var hits = 0;
        if (_parsed.Get(_userName).StringEquals("ada"))
        {
            hits++;
        }
        if (_parsed.Get(_level).Utf8Equals("info"u8))
        {
            hits++;
        }
        if (_parsed.Get(_duration).TryGetDouble(out var ms) && ms > 10)
        {
            hits++;
        }
        return hits;
    }

    [Benchmark]
    public int Event_clone()
    {
        var clone = _parsed.Clone();
        var size = clone.EstimatedSize;
        clone.Release();
        return size;
    }
}

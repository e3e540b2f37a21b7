using System.Text;
using System.Text.Json;
using Pipeline.Components;
using Pipeline.Events;
using Serilog.Events;

namespace Pipeline.Processors.Script;

/// <summary>
/// Reads what the driver returned for a batch, <c>{"o":[input,slot,{event},…],"f":[[input,"stack"],…],"l":[[input,level,"line"],…],"d":n}</c>,
/// and reports it to the isolate: outputs, failures and console lines, each by its input's index.
/// </summary>
internal sealed class ScriptAnswer
{
    private byte[] _utf8 = [];

    /// <returns>How many console lines the script wrote past the per-call bound (not logged).</returns>
    public int Read(string answer, int inputs, IBatchEmitter output)
    {
        var length = Encoding.UTF8.GetByteCount(answer);
        if (_utf8.Length < length)
        {
            _utf8 = new byte[Math.Max(length, _utf8.Length * 2)];
        }
        var json = _utf8.AsSpan(0, Encoding.UTF8.GetBytes(answer, _utf8));
        var reader = new Utf8JsonReader(json);
        var leftOut = 0;
        Expect(ref reader, JsonTokenType.StartObject);
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            var property = reader.ValueSpan;
            if (property.SequenceEqual("o"u8))
            {
                ReadOutputs(ref reader, json, inputs, output);
            }
            else if (property.SequenceEqual("f"u8))
            {
                Expect(ref reader, JsonTokenType.StartArray);
                while (Next(ref reader) == JsonTokenType.StartArray)
                {
                    var input = ReadInput(ref reader, inputs);
                    Expect(ref reader, JsonTokenType.String);
                    output.Fail(input, new ScriptException(reader.GetString()!));
                    Expect(ref reader, JsonTokenType.EndArray);
                }
            }
            else if (property.SequenceEqual("l"u8))
            {
                Expect(ref reader, JsonTokenType.StartArray);
                while (Next(ref reader) == JsonTokenType.StartArray)
                {
                    var input = ReadInput(ref reader, inputs);
                    Expect(ref reader, JsonTokenType.Number);
                    var level = reader.GetInt32() switch
                    {
                        1 => LogEventLevel.Debug,
                        3 => LogEventLevel.Warning,
                        4 => LogEventLevel.Error,
                        _ => LogEventLevel.Information,
                    };
                    Expect(ref reader, JsonTokenType.String);
                    output.Log(input, level, reader.GetString()!);
                    Expect(ref reader, JsonTokenType.EndArray);
                }
            }
            else
            {
                Expect(ref reader, JsonTokenType.Number);
                leftOut = reader.GetInt32();
            }
        }
        return leftOut;
    }

    /// <summary>The flat triples of the outputs; an event the pipeline cannot take fails its input, not the batch.</summary>
    private static void ReadOutputs(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, int inputs, IBatchEmitter output)
    {
        Expect(ref reader, JsonTokenType.StartArray);
        var failedInput = -1;
        while (Next(ref reader) == JsonTokenType.Number)
        {
            var input = reader.GetInt32();
            if ((uint)input >= (uint)inputs)
            {
                throw new InvalidDataException($"the script driver named input {input} of a batch of {inputs}");
            }
            Expect(ref reader, JsonTokenType.Number);
            var slot = reader.GetInt32();
            Expect(ref reader, JsonTokenType.StartObject);
            var start = (int)reader.TokenStartIndex;
            reader.Skip();
            var end = (int)reader.BytesConsumed;
            if (input == failedInput)
            {
                continue;
            }
            Event evt;
            try
            {
                evt = Event.Parse(json[start..end]);
            }
            catch (EventFormatException ex)
            {
                failedInput = input;
                output.Fail(input, new ScriptException($"the script emitted an event the pipeline cannot take: {ex.Message}"));
                continue;
            }
            output.Emit(input, slot, evt);
        }
    }

    private static int ReadInput(ref Utf8JsonReader reader, int inputs)
    {
        Expect(ref reader, JsonTokenType.Number);
        var input = reader.GetInt32();
        return (uint)input < (uint)inputs ? input : throw new InvalidDataException($"the script driver named input {input} of a batch of {inputs}");
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader)
        => reader.Read() ? reader.TokenType : throw new InvalidDataException("the script driver's answer ended early");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (Next(ref reader) != type)
        {
            throw new InvalidDataException($"the script driver's answer has {reader.TokenType} where {type} belongs");
        }
    }
}

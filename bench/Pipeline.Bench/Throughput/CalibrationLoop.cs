using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// <c>Pipeline.Bench loop &lt;output-file&gt;</c>: the least a program can do for "drop the debug lines of an NDJSON
/// stream": one thread, 1 MiB reads, every line fully parsed and re-serialized, the kept ones appended to a file.
/// The compare benchmark measures the pipeline against it, so it must not cut corners the pipeline cannot
/// (every token is read and written), nor pay for anything the pipeline does not need (no allocation per line).
/// </summary>
internal static class CalibrationLoop
{
    private const int BlockSize = 1 << 20;

    public static int Run(string[] args)
    {
        if (args.Length != 1)
        {
            Console.Error.WriteLine("usage: Pipeline.Bench loop <output-file>   (reads NDJSON on standard input)");
            return 2;
        }
        using var input = Console.OpenStandardInput();
        using var output = new FileStream(args[0], FileMode.Create, FileAccess.Write, FileShare.Read, BlockSize);
        var filter = new DebugLineFilter(output);

        var block = new byte[BlockSize];
        var carried = 0; // the unfinished last line of the previous read, moved to the start of block
        int read;
        while ((read = input.Read(block, carried, block.Length - carried)) > 0)
        {
            var filled = block.AsSpan(0, carried + read);
            var start = 0;
            int newline;
            while ((newline = filled[start..].IndexOf((byte)'\n')) >= 0)
            {
                filter.Process(filled.Slice(start, newline));
                start += newline + 1;
            }
            carried = filled.Length - start;
            if (start == 0 && carried == block.Length)
            {
                // One line longer than the block: grow it rather than cut the line.
                Array.Resize(ref block, block.Length * 2);
                continue;
            }
            filled[start..].CopyTo(block);
        }
        if (carried > 0)
        {
            filter.Process(block.AsSpan(0, carried));
        }
        output.Flush();
        Console.Error.WriteLine($"loop: {filter.In} in, {filter.Out} out, {filter.Invalid} invalid");
        return 0;
    }

    /// <summary>Re-serializes one line at a time into a reused buffer and appends it unless its level is debug.</summary>
    private sealed class DebugLineFilter(Stream output)
    {
        private readonly ArrayBufferWriter<byte> _line = new(4096);
        private readonly Utf8JsonWriter _writer = new(new ArrayBufferWriter<byte>(1), new JsonWriterOptions
        {
            // The pipeline's file sink writes non-ASCII text as it is; the default encoder would escape it.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        });
        private byte[] _unescaped = new byte[1024];

        public long In { get; private set; }

        public long Out { get; private set; }

        public long Invalid { get; private set; }

        public void Process(ReadOnlySpan<byte> json)
        {
            if (json.IsEmpty)
            {
                return; // blank lines are not events, as in the stdin source
            }
            In++;
            _line.ResetWrittenCount();
            _writer.Reset(_line);
            bool isDebug;
            try
            {
                isDebug = Reserialize(json);
            }
            catch (JsonException)
            {
                Invalid++;
                return;
            }
            catch (InvalidOperationException)
            {
                // The writer refuses what the reader let through only for a truncated document.
                Invalid++;
                return;
            }
            if (isDebug)
            {
                return;
            }
            output.Write(_line.WrittenSpan);
            output.WriteByte((byte)'\n');
            Out++;
        }

        /// <summary>Copies every token of <paramref name="json"/> to the writer; true when its top-level level is "debug".</summary>
        private bool Reserialize(ReadOnlySpan<byte> json)
        {
            var reader = new Utf8JsonReader(json, isFinalBlock: true, state: default);
            var isDebug = false;
            var nextIsLevel = false;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        _writer.WriteStartObject();
                        break;
                    case JsonTokenType.EndObject:
                        _writer.WriteEndObject();
                        break;
                    case JsonTokenType.StartArray:
                        _writer.WriteStartArray();
                        break;
                    case JsonTokenType.EndArray:
                        _writer.WriteEndArray();
                        break;
                    case JsonTokenType.PropertyName:
                        nextIsLevel = reader.CurrentDepth == 1 && reader.ValueTextEquals("level"u8);
                        _writer.WritePropertyName(Unescaped(ref reader));
                        break;
                    case JsonTokenType.String:
                        if (nextIsLevel)
                        {
                            isDebug = reader.ValueTextEquals("debug"u8);
                        }
                        _writer.WriteStringValue(Unescaped(ref reader));
                        break;
                    case JsonTokenType.Number:
                        // The number's own text: parsing it to a double and back could change its digits.
                        _writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                        break;
                    case JsonTokenType.True:
                    case JsonTokenType.False:
                        _writer.WriteBooleanValue(reader.TokenType == JsonTokenType.True);
                        break;
                    case JsonTokenType.Null:
                        _writer.WriteNullValue();
                        break;
                }
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    nextIsLevel = false;
                }
            }
            _writer.Flush();
            return isDebug;
        }

        /// <summary>The token's text without JSON escapes (the writer escapes again what needs it).</summary>
        private ReadOnlySpan<byte> Unescaped(ref Utf8JsonReader reader)
        {
            if (!reader.ValueIsEscaped)
            {
                return reader.ValueSpan;
            }
            if (_unescaped.Length < reader.ValueSpan.Length)
            {
                _unescaped = new byte[reader.ValueSpan.Length * 2];
            }
            return _unescaped.AsSpan(0, reader.CopyString(_unescaped));
        }
    }
}

namespace Pipeline.Sinks.Otlp;

/// <summary>An export the receiver accepted while rejecting some of its records (OTLP partial_success); empty for a full success.</summary>
internal readonly record struct OtlpPartialSuccess(long RejectedLogRecords, string ErrorMessage)
{
    public bool IsEmpty => RejectedLogRecords == 0 && string.IsNullOrEmpty(ErrorMessage);

    /// <summary>An ExportLogsServiceResponse's partial_success; an empty body (a full success) gives none.</summary>
    public static OtlpPartialSuccess Read(ReadOnlySpan<byte> response)
    {
        long rejected = 0;
        var message = "";
        var reader = new ProtobufReader(response);
        while (reader.Next(out var field, out var wireType))
        {
            if (field == 1 && wireType == ProtobufWriter.WireLengthDelimited)
            {
                var partial = new ProtobufReader(reader.Bytes());
                while (partial.Next(out var inner, out var innerType))
                {
                    if (inner == 1 && innerType == ProtobufWriter.WireVarint)
                    {
                        rejected = (long)partial.Varint();
                    }
                    else if (inner == 2 && innerType == ProtobufWriter.WireLengthDelimited)
                    {
                        message = System.Text.Encoding.UTF8.GetString(partial.Bytes());
                    }
                    else
                    {
                        partial.Skip(innerType);
                    }
                }
            }
            else
            {
                reader.Skip(wireType);
            }
        }
        return new OtlpPartialSuccess(rejected, message);
    }
}

using Google.Protobuf;
using Grpc.Core;
using OpenTelemetry.Proto.Collector.Logs.V1;

namespace Pipeline.Sources.Otlp;

/// <summary>
/// The gRPC request as the otlp source's own marshaller hands it over: decoded, or, when it does not decode, the
/// reason and its bytes. The generated marshaller would throw inside the framework, which answers that INTERNAL and
/// keeps the bytes; OTLP asks for INVALID_ARGUMENT, and the dead-letter record needs the bytes.
/// </summary>
internal sealed class OtlpGrpcPayload
{
    public static Marshaller<OtlpGrpcPayload> Marshaller { get; } = Marshallers.Create<OtlpGrpcPayload>(
        (_, _) => throw new NotSupportedException("the otlp source only receives export requests"),
        Decode);

    public ExportLogsServiceRequest? Request { get; private init; }

    public string? Error { get; private init; }

    public byte[] Raw { get; private init; } = [];

    public long Size { get; private init; }

    private static OtlpGrpcPayload Decode(DeserializationContext context)
    {
        var payload = context.PayloadAsReadOnlySequence();
        try
        {
            return new OtlpGrpcPayload { Request = ExportLogsServiceRequest.Parser.ParseFrom(payload), Size = payload.Length };
        }
        catch (InvalidProtocolBufferException ex)
        {
            return new OtlpGrpcPayload { Error = $"not a valid ExportLogsServiceRequest: {ex.Message}", Raw = System.Buffers.BuffersExtensions.ToArray(payload), Size = payload.Length };
        }
    }
}

using Grpc.AspNetCore.Server.Model;

namespace Pipeline.Sources.Otlp;

/// <summary>
/// Tells Grpc.AspNetCore the otlp source's one method. The framework's usual binding finds methods by reflection as
/// overrides of a generated base class, which would tie the request to the generated marshaller.
/// </summary>
internal sealed class OtlpLogsMethodProvider : IServiceMethodProvider<OtlpLogsGrpcService>
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<OtlpLogsGrpcService> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.AddUnaryMethod(OtlpLogsGrpcService.ExportMethod, [], (service, request, call) => service.Export(request, call));
    }
}

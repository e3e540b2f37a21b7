using System.Net;
using Grpc.Net.Client;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Security;
using Pipeline.Telemetry;

namespace Pipeline.Sinks.Otlp;

/// <summary>
/// The otlp sink's build result: per isolate an encoder and a transport; for the whole sink one connection (a
/// <see cref="GrpcChannel"/>, or an <see cref="HttpClient"/>), made on first use and closed when the sink stops, and the
/// instruments and log of its receiver's partial successes.
/// </summary>
internal sealed class OtlpSinkFactory : ISinkFactory, ISharedStageState
{
    /// <summary>Partial successes logged in detail before they are only counted, per <see cref="PartialSuccessLogInterval"/>.</summary>
    private static readonly TimeSpan PartialSuccessLogInterval = TimeSpan.FromMinutes(1);

    // One connection pool for every otlp/http sink without tls of its own, as the http sink has: sockets are the scarce
    // resource, and PooledConnectionLifetime makes it follow DNS changes.
    private static readonly SocketsHttpHandler SharedHandler = NewHandler();

    private readonly OtlpExportSettings _settings;
    private readonly FieldPath? _severityField;
    private readonly ClientTlsSettings? _tls;
    private readonly string _componentId;
    private readonly Lazy<(GrpcChannel? Channel, HttpClient? Client)> _connection;
    private readonly Lock _logLock = new();

    // Set by Start, before the runtime makes any instance; without it (a sink made outside a topology) nothing is counted.
    private OtlpSinkInstruments? _instruments;
    private Serilog.ILogger _logger = Serilog.Log.Logger;
    private DateTime _nextPartialSuccessLog;
    private long _unloggedRejections;
    private SocketsHttpHandler? _ownHandler;
    private IDisposable? _tlsPoll;

    public OtlpSinkFactory(OtlpExportSettings settings, FieldPath? severityField, ClientTlsSettings? tls, string componentId)
    {
        _settings = settings;
        _severityField = severityField;
        _tls = tls;
        _componentId = componentId;
        _connection = new Lazy<(GrpcChannel?, HttpClient?)>(Connect);
    }

    public bool DeliversOverNetwork => true;

    internal OtlpExportSettings Settings => _settings;

    public void Start(StageRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        _instruments = runtime.Metrics.CreateOtlpSinkInstruments();
        _logger = runtime.Logger;
    }

    public ISink CreateForIsolate(int isolateIndex)
    {
        var (channel, client) = _connection.Value;
        IOtlpLogsTransport transport = channel is not null
            ? new OtlpGrpcTransport(_settings, channel.CreateCallInvoker())
            : new OtlpHttpTransport(_settings, client!);
        return new OtlpSink(new OtlpLogEncoder(_severityField, TimeProvider.System), transport, this);
    }

    /// <summary>
    /// The receiver took the request but rejected some records. The answer does not say which, so nothing is retried
    /// or dead-lettered: counted, and logged (the first in a minute with the receiver's message, the rest summed into
    /// the next such line).
    /// </summary>
    public void ReportPartialSuccess(OtlpPartialSuccess answer, int batchSize)
    {
        _instruments?.RejectedLogRecords.Inc(answer.RejectedLogRecords);
        long earlier;
        lock (_logLock)
        {
            var now = DateTime.UtcNow;
            if (now < _nextPartialSuccessLog)
            {
                _unloggedRejections += answer.RejectedLogRecords;
                return;
            }
            _nextPartialSuccessLog = now + PartialSuccessLogInterval;
            earlier = _unloggedRejections;
            _unloggedRejections = 0;
        }
        _logger.Warning(
            "{ComponentId}: the OTLP receiver rejected {Rejected} of the {BatchSize} log records of a request: {ReceiverMessage}; not retried, as it does not say which ({Earlier} more rejected since the last such message)",
            _componentId, answer.RejectedLogRecords, batchSize, string.IsNullOrEmpty(answer.ErrorMessage) ? "(no message)" : answer.ErrorMessage, earlier);
    }

    public ValueTask DisposeAsync()
    {
        if (_connection.IsValueCreated)
        {
            var (channel, client) = _connection.Value;
            channel?.Dispose();
            client?.Dispose();
        }
        _tlsPoll?.Dispose();
        _ownHandler?.Dispose();
        return ValueTask.CompletedTask;
    }

    private (GrpcChannel?, HttpClient?) Connect()
    {
        // gRPC takes its handler over (its load balancer sets the connect callback), so a channel gets one of its own;
        // so does a sink with tls, whose certificate files are polled for as long as it runs.
        HttpMessageHandler handler = SharedHandler;
        if (!_settings.Http || _tls is not null)
        {
            _ownHandler = NewHandler();
            handler = _ownHandler;
        }
        if (_tls is not null)
        {
            _tlsPoll = ClientTls.Apply(_ownHandler!, _tls, _logger, _componentId);
        }
        if (_settings.Http)
        {
            return (null, new HttpClient(handler, disposeHandler: false) { Timeout = _settings.Timeout });
        }
        return (GrpcChannel.ForAddress(_settings.Endpoint, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = false }), null);
    }

    private static SocketsHttpHandler NewHandler() => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(10),
        // gRPC calls of many isolates on one HTTP/2 connection queue behind its stream limit (100 on most servers).
        EnableMultipleHttp2Connections = true,
    };
}

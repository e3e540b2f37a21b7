using Confluent.Kafka;
using Pipeline.Telemetry;
using Serilog.Events;

namespace Pipeline.Sinks.Kafka;

/// <summary>
/// The one librdkafka producer of a kafka sink, shared by its isolates: librdkafka is thread-safe and batches the
/// records of every isolate together per partition, where a producer per isolate would add connections and smaller
/// requests. Made on first use (so <c>validate</c>, which builds sinks too, connects to nothing) and closed when its
/// last isolate is disposed.
/// </summary>
internal sealed class SharedKafkaProducer(ProducerConfig config, string componentId)
{
    /// <summary>How long closing waits for records still in flight (there are none unless a write was cancelled).</summary>
    private static readonly TimeSpan CloseFlushLimit = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    private readonly Serilog.ILogger _logger = Serilog.Log.Logger.ForContext(TelemetryNames.StageProperty, componentId);

    // Guarded by _lock.
    private IProducer<byte[], byte[]>? _producer;

    // Guarded by _lock: the isolates holding this producer; at 0 it is closed, and the next user makes a new one.
    private int _users;

    // Guarded by _lock: producers that hit a fatal error (the idempotent producer's lost sequence, say), replaced but
    // kept open until the sink closes, so that reports still due to an isolate's batch are not lost with them.
    private readonly List<IProducer<byte[], byte[]>> _failed = [];

    public void Acquire()
    {
        lock (_lock)
        {
            _users++;
        }
    }

    public IProducer<byte[], byte[]> Producer
    {
        get
        {
            lock (_lock)
            {
                return _producer ??= new ProducerBuilder<byte[], byte[]>(config)
                    .SetLogHandler((_, message) => _logger.Write(LevelOf(message.Level), "kafka producer: {KafkaLog}", message.Message))
                    .SetErrorHandler(OnError)
                    .Build();
            }
        }
    }

    public void Release()
    {
        IProducer<byte[], byte[]>[] closing;
        lock (_lock)
        {
            if (--_users > 0)
            {
                return;
            }
            closing = [.. _failed, .. _producer is null ? [] : new[] { _producer }];
            _failed.Clear();
            _producer = null;
        }
        foreach (var producer in closing)
        {
            producer.Flush(CloseFlushLimit);
            producer.Dispose();
        }
    }

    private void OnError(IProducer<byte[], byte[]> producer, Error error)
    {
        if (!error.IsFatal)
        {
            _logger.Warning("kafka producer: {KafkaError} ({KafkaCode})", error.Reason, error.Code);
            return;
        }
        // librdkafka fails every record of a fatally failed producer (retryable: Local_Fatal), and it takes no more:
        // the next batch, and the retries, get a new one.
        _logger.Error("kafka producer failed for good, replacing it: {KafkaError} ({KafkaCode})", error.Reason, error.Code);
        lock (_lock)
        {
            if (ReferenceEquals(_producer, producer))
            {
                _failed.Add(producer);
                _producer = null;
            }
        }
    }

    private static LogEventLevel LevelOf(SyslogLevel level) => level switch
    {
        <= SyslogLevel.Error => LogEventLevel.Error,
        SyslogLevel.Warning => LogEventLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogEventLevel.Information,
        _ => LogEventLevel.Debug,
    };
}

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
                    .SetErrorHandler((_, error) => _logger.Warning("kafka producer: {KafkaError} ({KafkaCode})", error.Reason, error.Code))
                    .Build();
            }
        }
    }

    public void Release()
    {
        IProducer<byte[], byte[]>? closing;
        lock (_lock)
        {
            if (--_users > 0)
            {
                return;
            }
            closing = _producer;
            _producer = null;
        }
        if (closing is not null)
        {
            closing.Flush(CloseFlushLimit);
            closing.Dispose();
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

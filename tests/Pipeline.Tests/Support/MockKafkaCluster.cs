using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Pipeline.Tests.Support;

/// <summary>
/// librdkafka's in-process mock cluster: three brokers on loopback ports, speaking the real Kafka protocol, that any
/// client (in this process or another, such as a pipeline child process) reaches through <see cref="BootstrapServers"/>.
/// It lives as long as the client that hosts it; disposing this stops every broker (what a "cluster down" test wants).
/// Topics are created on first use (the admin API's CreateTopics hung on the mock cluster when tried).
/// </summary>
public sealed class MockKafkaCluster : IDisposable
{
    private readonly IProducer<Null, Null> _host;
    private readonly int _brokers;

    public MockKafkaCluster(int brokers = 3)
    {
        _brokers = brokers;
        var config = new ProducerConfig();
        config.Set("test.mock.num.brokers", brokers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // The mock cluster logs its start-up line at notice level on stderr; tests do not need it.
        _host = new ProducerBuilder<Null, Null>(config).SetLogHandler((_, _) => { }).Build();
        using var admin = new DependentAdminClientBuilder(_host.Handle).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        BootstrapServers = string.Join(",", metadata.Brokers.Select(b => $"{b.Host}:{b.Port}"));
    }

    /// <summary>The brokers' loopback addresses, comma-separated, as <c>bootstrap_servers</c> takes them.</summary>
    public string BootstrapServers { get; }

    /// <summary>
    /// Creates <paramref name="topic"/> with <paramref name="partitions"/> partitions, where a test or a benchmark
    /// needs other than the four a topic gets on first use. Through the mock cluster's own C API
    /// (rd_kafka_mock_topic_create), which Confluent.Kafka does not wrap; Kafka's CreateTopics never answered here.
    /// </summary>
    public void CreateTopic(string topic, int partitions)
    {
        // Confluent.Kafka keeps the rd_kafka_t pointer in an internal SafeHandle; a test fixture may reach for it.
        var safeHandle = (SafeHandle)typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(_host.Handle)!;
        var library = NativeLibrary.Load(LoadedLibrdkafka());
        var mockCluster = Marshal.GetDelegateForFunctionPointer<MockClusterOf>(NativeLibrary.GetExport(library, "rd_kafka_handle_mock_cluster"));
        var createTopic = Marshal.GetDelegateForFunctionPointer<CreateMockTopic>(NativeLibrary.GetExport(library, "rd_kafka_mock_topic_create"));
        var error = createTopic(mockCluster(safeHandle.DangerousGetHandle()), topic, partitions, Math.Min(3, _brokers));
        if (error != 0)
        {
            throw new InvalidOperationException($"the mock cluster refused topic {topic} with {partitions} partitions: {(ErrorCode)error}");
        }
    }

    public void Dispose() => _host.Dispose();

    /// <summary>
    /// The librdkafka build Confluent.Kafka loaded: it picks one of several by what the system has (the plain one needs
    /// libsasl2), and the mock cluster's pointer is only good for that same copy.
    /// </summary>
    private static string LoadedLibrdkafka() =>
        File.ReadLines("/proc/self/maps").Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length >= 6 && fields[5].EndsWith("librdkafka.so", StringComparison.Ordinal)).Select(fields => fields[5])
            .FirstOrDefault() ?? throw new InvalidOperationException("librdkafka is not loaded in this process");

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr MockClusterOf(IntPtr kafka);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int CreateMockTopic(IntPtr cluster, [MarshalAs(UnmanagedType.LPUTF8Str)] string topic, int partitions, int replicationFactor);
}

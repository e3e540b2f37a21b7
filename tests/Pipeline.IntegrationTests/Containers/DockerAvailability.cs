using System.Net.Sockets;

namespace Pipeline.IntegrationTests.Containers;

/// <summary>
/// Whether a Docker engine answers, decided once and quickly (a socket connect, not a Testcontainers start that
/// would wait for its own timeouts). Tests that need containers skip with <see cref="SkipReason"/> where it does not.
/// </summary>
internal static class DockerAvailability
{
    private static readonly Lazy<string?> Problem = new(Probe);

    public static bool IsAvailable => Problem.Value is null;

    public static string SkipReason => $"no Docker engine answers ({Problem.Value}); this test runs its backend in a container (Testcontainers)";

    private static string? Probe()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (!string.IsNullOrEmpty(host) && !host.StartsWith("unix://", StringComparison.Ordinal))
        {
            // A TCP or SSH engine: Testcontainers will say what is wrong if it does not answer.
            return null;
        }
        var socketPath = string.IsNullOrEmpty(host) ? "/var/run/docker.sock" : host["unix://".Length..];
        if (!File.Exists(socketPath))
        {
            return $"{socketPath} does not exist";
        }
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            var connecting = socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
            return connecting.Wait(TimeSpan.FromSeconds(2)) ? null : $"{socketPath} did not accept a connection within 2 s";
        }
        catch (Exception ex) when (ex is SocketException or AggregateException)
        {
            return $"{socketPath}: {ex.GetBaseException().Message}";
        }
    }
}

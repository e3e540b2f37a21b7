using System.Net;
using System.Net.Sockets;

namespace Pipeline.IntegrationTests.Backends;

/// <summary>Loopback ports for the processes under test: other programs use ports on the same machine, so never a fixed one.</summary>
internal static class FreePort
{
    /// <summary>A port the kernel just handed out and released; a child process binds it a moment later.</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

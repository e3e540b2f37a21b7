using System.Globalization;
using System.Net;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Sources.Http;

public sealed class HttpSourceFactory : ISourceFactory
{
    private readonly IPEndPoint _endpoint;
    private readonly string _path;
    private readonly long _maxBody;
    private readonly TimeSpan _backpressureTimeout;
    private readonly FieldPath _traceparentField;

    public HttpSourceFactory(HttpSourceOptions options, ComponentContext context)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        if (!TryParseAddress(options.Address, out var endpoint))
        {
            throw new ComponentBuildException("address", $"expected ip:port (such as 0.0.0.0:8080, [::]:8080, localhost:8080 or *:8080), found '{options.Address}'");
        }
        if (string.IsNullOrEmpty(options.Path) || options.Path[0] != '/')
        {
            throw new ComponentBuildException("path", $"expected a route starting with '/', found '{options.Path}'");
        }
        // The body is held in one array while it is parsed, so it cannot exceed what an array holds.
        if (options.MaxBody.Bytes <= 0 || options.MaxBody.Bytes >= Array.MaxLength)
        {
            throw new ComponentBuildException("max_body", $"expected a size between 1 byte and 2GiB, found {options.MaxBody.Bytes} bytes");
        }
        if (options.BackpressureTimeout < TimeSpan.Zero)
        {
            throw new ComponentBuildException("backpressure_timeout", $"expected a duration of 0 or more, found {options.BackpressureTimeout}");
        }
        _endpoint = endpoint;
        _path = options.Path;
        _maxBody = options.MaxBody.Bytes;
        _backpressureTimeout = options.BackpressureTimeout;
        _traceparentField = options.TraceparentField;
    }

    public bool ReceivesRequests => true;

    public ISource Create() => new HttpSource(_endpoint, _path, _maxBody, _backpressureTimeout, _traceparentField);

    internal static bool TryParseAddress(string address, out IPEndPoint endpoint)
    {
        endpoint = null!;
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || colon < address.LastIndexOf(']') || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port > IPEndPoint.MaxPort)
        {
            return false;
        }
        var host = address[..colon];
        IPAddress? ip = host switch
        {
            "*" => IPAddress.Any,
            // Kestrel's ListenLocalhost cannot bind port 0, and tests need port 0; loopback is what localhost means here.
            "localhost" => IPAddress.Loopback,
            _ => IPAddress.TryParse(host.Trim('[', ']'), out var parsed) ? parsed : null,
        };
        if (ip is null)
        {
            return false;
        }
        endpoint = new IPEndPoint(ip, port);
        return true;
    }
}

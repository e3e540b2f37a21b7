using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Pipeline.Telemetry;
using Pipeline.Telemetry.Logging;

namespace Pipeline.Security;

/// <summary>
/// A server's certificate kept current: the files are polled (<see cref="PolledFiles"/>), and a new certificate that
/// loads replaces the old one for the connections that follow; one that does not (a key not yet written beside its
/// new certificate) leaves the old one in use, logged and counted, until the files agree.
/// </summary>
public sealed class ReloadingServerCertificate : IDisposable
{
    private readonly ServerTlsSettings _settings;
    private readonly SecurityInstruments _instruments;
    private readonly Serilog.ILogger _logger;
    private readonly PolledFiles _files;
    private readonly FailureLogLimiter _rejections = FailureLogLimiter.CreateDefault(TimeProvider.System);
    private volatile ServerCertificate _current;

    /// <exception cref="TlsFileException">The files do not load now.</exception>
    public ReloadingServerCertificate(ServerTlsSettings settings, SecurityInstruments instruments, Serilog.ILogger logger, TimeProvider? time = null)
    {
        _settings = settings;
        _instruments = instruments;
        _logger = logger;
        _current = ServerCertificate.Load(settings, ClientRejected);
        instruments.CertificateExpires(_current.NotAfter);
        _files = new PolledFiles([settings.CertFile, settings.KeyFile, .. settings.CaFile is { } ca ? [ca] : Array.Empty<string>()], Reload, time);
    }

    public ServerCertificate Current => _current;

    /// <summary>Serves TLS on <paramref name="listen"/> with whatever certificate is current when each connection arrives.</summary>
    public void Apply(ListenOptions listen)
    {
        listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = _ => ValueTask.FromResult(_current.Options),
        });
    }

    /// <summary>Re-reads the files now (the poll does this every second).</summary>
    public void Reload()
    {
        try
        {
            var loaded = ServerCertificate.Load(_settings, ClientRejected);
            // The previous certificate is left to the collector, not disposed: a handshake in progress may still use it.
            _current = loaded;
            _instruments.CredentialReloaded("certificate", loaded: true);
            _instruments.CertificateExpires(loaded.NotAfter);
            _logger.Information("TLS certificate of {Server} reloaded: {Subject}, valid until {NotAfter:o}", _instruments.Server, loaded.Subject, loaded.NotAfter);
        }
        catch (TlsFileException e)
        {
            _instruments.CredentialReloaded("certificate", loaded: false);
            _logger.Warning("TLS files of {Server} changed but do not load, so the previous certificate stays in use: {Error}", _instruments.Server, e.Message);
        }
    }

    public void Dispose()
    {
        _files.Dispose();
    }

    private void ClientRejected()
    {
        _instruments.AuthFailures(SecurityInstruments.ClientCertificate).Inc();
        if (_rejections.ShouldLog(out var suppressed))
        {
            _logger.Warning("{Server} refused a TLS client: no certificate, or one not issued by its ca_file{Suppressed:l}",
                _instruments.Server, suppressed > 0 ? $" ({suppressed} more not logged)" : "");
        }
    }
}

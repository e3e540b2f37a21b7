using System.CommandLine;
using Pipeline.Components;

namespace Pipeline.Host.Commands;

/// <summary>
/// Which running pipeline <c>tap</c> and <c>top</c> talk to: <c>--admin-address</c>, else PIPELINE_ADMIN_ADDRESS, else
/// the admin address of the topology named by <c>--config</c> (or PIPELINE_CONFIG), else 127.0.0.1:9464; and the token,
/// <c>--token</c> else PIPELINE_ADMIN_TOKEN. The same precedence <c>run</c> uses, so the address that started a
/// pipeline also finds it.
/// </summary>
internal sealed class AdminTarget
{
    public const string TokenVariable = "PIPELINE_ADMIN_TOKEN";

    private readonly Option<string> _address;
    private readonly Option<string> _config;
    private readonly Option<string> _token;

    private AdminTarget(Option<string> address, Option<string> config, Option<string> token)
    {
        _address = address;
        _config = config;
        _token = token;
    }

    public static AdminTarget AddTo(Command command)
    {
        var address = new Option<string>("--admin-address")
        {
            Description = $"The pipeline's admin address: host:port, or http(s)://host:port. Default: {CliOptions.AdminAddressVariable}, else --config's admin.address, else {AdminClient.DefaultAddress}.",
        };
        var config = new Option<string>("--config", "-c")
        {
            Description = $"The running pipeline's topology file, to find its admin address (and https when admin.tls is set). Default: {CliOptions.ConfigVariable}.",
        };
        var token = new Option<string>("--token") { Description = $"A token admin.auth accepts (sent as Bearer). Default: {TokenVariable}." };
        command.Options.Add(address);
        command.Options.Add(config);
        command.Options.Add(token);
        return new AdminTarget(address, config, token);
    }

    public string? Token(ParseResult parse, CliContext context) => parse.GetValue(_token) ?? context.Environment(TokenVariable);

    /// <summary>A client for the running pipeline, or none and the exit code after writing why to stderr.</summary>
    public (AdminClient? Client, int Failure) Connect(ParseResult parse, CliContext context)
    {
        if (Address(parse, context) is not { } address)
        {
            // The topology named to find the address did not load; its errors are written.
            return (null, ExitCodes.ConfigError);
        }
        var client = AdminClient.Create(address, Token(parse, context), out var error);
        if (client is null)
        {
            parse.InvocationConfiguration.Error.WriteLine(error);
            return (null, ExitCodes.Failure);
        }
        return (client, ExitCodes.Ok);
    }

    /// <summary>The address to connect to, or null after writing why there is none (a config that does not load).</summary>
    public string? Address(ParseResult parse, CliContext context)
    {
        if ((parse.GetValue(_address) ?? NonEmpty(context.Environment(CliOptions.AdminAddressVariable))) is { } given)
        {
            return given;
        }
        if ((parse.GetValue(_config) ?? NonEmpty(context.Environment(CliOptions.ConfigVariable))) is not { } path)
        {
            return AdminClient.DefaultAddress;
        }
        var config = Cli.TryLoad(parse, () => Config.ConfigLoader.LoadFile(path, context.Catalog));
        if (config is null)
        {
            return null;
        }
        if (!ListenAddress.TryParse(config.Admin.Address, out var listen))
        {
            return config.Admin.Address;
        }
        // A pipeline listening on every interface answers on loopback, where a tap is allowed without a token.
        var host = listen.EndPoint.Address.Equals(System.Net.IPAddress.Any) ? "127.0.0.1"
            : listen.EndPoint.Address.Equals(System.Net.IPAddress.IPv6Any) ? "[::1]"
            : listen.EndPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{listen.EndPoint.Address}]"
            : listen.EndPoint.Address.ToString();
        return $"{(config.Admin.Tls is null ? "http" : "https")}://{host}:{listen.EndPoint.Port}";
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

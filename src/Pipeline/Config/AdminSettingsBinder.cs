using Pipeline.Components;
using Pipeline.Security;

namespace Pipeline.Config;

/// <summary>
/// Binds <c>admin:</c> and checks what <c>validate</c> can before the port is opened: the address, its scheme
/// against <c>tls</c>, the TLS files and the tokens, each error at the line of the key it is about.
/// </summary>
internal static class AdminSettingsBinder
{
    public const string Key = "admin";

    public static AdminSettings? Bind(ConfigNode node, Func<string, string?> environment, List<ConfigError> errors)
    {
        if (node is ConfigScalar { IsNull: true })
        {
            return null;
        }
        if (!OptionValueConverter.TryConvert(node, typeof(AdminSettings), $"'{Key}'", errors, out var value) || value is not AdminSettings admin)
        {
            return null;
        }
        try
        {
            ComponentBuildException.ThrowIfAnyFails(
                () =>
                {
                    if (!ListenAddress.TryParse(admin.Address, out var address))
                    {
                        throw new ComponentBuildException("address", $"expected {ListenAddress.Expected}, found '{admin.Address}'");
                    }
                    if (address.SchemeMismatch(admin.Tls is not null) is { } mismatch)
                    {
                        throw new ComponentBuildException("address", mismatch);
                    }
                },
                () => admin.Tls?.Validate("tls"),
                () => admin.Auth?.Validate("auth", environment),
                () =>
                {
                    if (admin.ProtectReadOnly && admin.Auth is null)
                    {
                        throw new ComponentBuildException("protect_read_only", "expected an auth block beside it (the tokens to require), found none");
                    }
                });
        }
        catch (ComponentBuildException e)
        {
            foreach (var error in e.All)
            {
                errors.Add(new ConfigError(MarkOf((ConfigMapping)node, error.Option), $"'{Key}.{error.Option}': {error.Message.ReplaceLineEndings(" ")}"));
            }
            return null;
        }
        return admin;
    }

    /// <summary>The mark of <c>tls.cert_file</c>'s value inside the block, or of the nearest key on the way there.</summary>
    private static SourceMark MarkOf(ConfigMapping mapping, string optionPath)
    {
        var mark = mapping.Mark;
        ConfigNode current = mapping;
        foreach (var part in optionPath.Split('.'))
        {
            if (current is not ConfigMapping inner || !inner.TryGet(part, out var key, out var next))
            {
                break;
            }
            mark = next is ConfigScalar ? next.Mark : key.Mark;
            current = next;
        }
        return mark;
    }
}

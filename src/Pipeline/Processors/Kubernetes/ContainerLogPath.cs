using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Pipeline.Processors.Kubernetes;

/// <summary>
/// The Kubernetes names a container log file's path carries, in the two layouts the kubelet writes:
/// <c>/var/log/containers/&lt;pod&gt;_&lt;namespace&gt;_&lt;container&gt;-&lt;64-hex container id&gt;.log</c> (a symlink per
/// container) and <c>/var/log/pods/&lt;namespace&gt;_&lt;pod&gt;_&lt;pod uid&gt;/&lt;container&gt;/&lt;restart&gt;.log</c>.
/// Names are kept as UTF-8, ready to be written into events.
/// </summary>
/// <remarks>
/// Splitting on '_' is safe because none of the parts can hold one: namespaces and container names are DNS labels,
/// pod names DNS subdomains (letters, digits, '-' and '.'), uids hex and '-'. Only the directory names are checked,
/// not what precedes them, so a host's /var/log mounted elsewhere (say /host/var/log) matches too.
/// </remarks>
public sealed class ContainerLogPath
{
    private const int ContainerIdLength = 64;

    private ContainerLogPath(byte[] podNamespace, byte[] podName, byte[] containerName, byte[]? containerId, byte[]? podUid)
    {
        PodNamespace = podNamespace;
        PodName = podName;
        ContainerName = containerName;
        ContainerId = containerId;
        PodUid = podUid;
        // The cache of pods is keyed by strings; made once per path, not per event.
        Namespace = Encoding.UTF8.GetString(podNamespace);
        Name = Encoding.UTF8.GetString(podName);
    }

    public byte[] PodNamespace { get; }

    public byte[] PodName { get; }

    public byte[] ContainerName { get; }

    /// <summary>Only in the /var/log/containers layout.</summary>
    public byte[]? ContainerId { get; }

    /// <summary>Only in the /var/log/pods layout.</summary>
    public byte[]? PodUid { get; }

    /// <summary><see cref="PodNamespace"/> as a string.</summary>
    public string Namespace { get; }

    /// <summary><see cref="PodName"/> as a string.</summary>
    public string Name { get; }

    public static bool TryParse(string path, [NotNullWhen(true)] out ContainerLogPath? parsed)
        => TryParse(Encoding.UTF8.GetBytes(path), out parsed);

    public static bool TryParse(ReadOnlySpan<byte> path, [NotNullWhen(true)] out ContainerLogPath? parsed)
    {
        parsed = null;
        if (!path.EndsWith(".log"u8))
        {
            return false;
        }
        var file = LastSegment(path, out var parent);
        var directory = LastSegment(parent, out var grandparent);
        if (directory.SequenceEqual("containers"u8))
        {
            return TryParseContainersLink(file[..^4], out parsed);
        }
        // /var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart count>.log
        var podDirectory = LastSegment(grandparent, out var pods);
        if (!LastSegment(pods, out _).SequenceEqual("pods"u8) || !IsDigits(file[..^4]) || !IsDnsLabel(directory))
        {
            return false;
        }
        if (!TrySplitThree(podDirectory, out var ns, out var pod, out var uid) || !IsDnsLabel(ns) || !IsDnsSubdomain(pod) || !IsUid(uid))
        {
            return false;
        }
        parsed = new ContainerLogPath(ns.ToArray(), pod.ToArray(), directory.ToArray(), null, uid.ToArray());
        return true;
    }

    // <pod>_<namespace>_<container>-<64 hex>
    private static bool TryParseContainersLink(ReadOnlySpan<byte> name, out ContainerLogPath? parsed)
    {
        parsed = null;
        if (!TrySplitThree(name, out var pod, out var ns, out var rest) || rest.Length < ContainerIdLength + 2)
        {
            return false;
        }
        var id = rest[^ContainerIdLength..];
        var container = rest[..^(ContainerIdLength + 1)];
        if (rest[^(ContainerIdLength + 1)] != (byte)'-' || !IsHex(id) || !IsDnsSubdomain(pod) || !IsDnsLabel(ns) || !IsDnsLabel(container))
        {
            return false;
        }
        parsed = new ContainerLogPath(ns.ToArray(), pod.ToArray(), container.ToArray(), id.ToArray(), null);
        return true;
    }

    private static ReadOnlySpan<byte> LastSegment(ReadOnlySpan<byte> path, out ReadOnlySpan<byte> parent)
    {
        var slash = path.LastIndexOf((byte)'/');
        parent = slash < 0 ? default : path[..slash];
        return path[(slash + 1)..];
    }

    private static bool TrySplitThree(ReadOnlySpan<byte> text, out ReadOnlySpan<byte> first, out ReadOnlySpan<byte> second, out ReadOnlySpan<byte> third)
    {
        first = second = third = default;
        var a = text.IndexOf((byte)'_');
        if (a <= 0)
        {
            return false;
        }
        var b = text[(a + 1)..].IndexOf((byte)'_');
        if (b <= 0)
        {
            return false;
        }
        first = text[..a];
        second = text.Slice(a + 1, b);
        third = text[(a + b + 2)..];
        return third.Length > 0 && !third.Contains((byte)'_');
    }

    private static bool IsDnsLabel(ReadOnlySpan<byte> name) => IsName(name, allowDot: false);

    private static bool IsDnsSubdomain(ReadOnlySpan<byte> name) => IsName(name, allowDot: true);

    // Lower-case letters, digits and '-' (and '.' in a subdomain), starting and ending with a letter or digit.
    private static bool IsName(ReadOnlySpan<byte> name, bool allowDot)
    {
        if (name.IsEmpty || name.Length > 253 || !IsAlphanumeric(name[0]) || !IsAlphanumeric(name[^1]))
        {
            return false;
        }
        foreach (var b in name)
        {
            if (!IsAlphanumeric(b) && b != (byte)'-' && !(allowDot && b == (byte)'.'))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsAlphanumeric(byte b) => b is >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9';

    private static bool IsHex(ReadOnlySpan<byte> text)
    {
        foreach (var b in text)
        {
            if (!IsHexDigit(b))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsHexDigit(byte b) => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f';

    // A UUID (hex and '-'), or the hash a static pod's mirror gets; either way no '_' and no '/'.
    private static bool IsUid(ReadOnlySpan<byte> text)
    {
        foreach (var b in text)
        {
            if (b != (byte)'-' && !IsHexDigit(b))
            {
                return false;
            }
        }
        return !text.IsEmpty;
    }

    private static bool IsDigits(ReadOnlySpan<byte> text)
    {
        foreach (var b in text)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }
        return !text.IsEmpty;
    }
}

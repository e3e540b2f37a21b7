using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors;

[Component("hash", "Replaces fields with their SHA-256 digest (or writes it beside them).")]
public sealed class HashConfig : IProcessorConfig
{
    /// <summary>How a digest is written.</summary>
    public enum DigestEncoding
    {
        /// <summary>64 lowercase hexadecimal characters.</summary>
        Hex,

        /// <summary>44 characters of standard, padded base64.</summary>
        Base64,
    }

    [Option("Fields to hash: a string's UTF-8 bytes, any other value's JSON text. Missing and null fields are left alone.",
        Required = true, Example = "[.user.email, .client_ip]")]
    public List<FieldPath> Fields { get; set; } = [];

    [Option("Write the digest to a sibling field named <field><suffix> and keep the original; by default the digest replaces the value.",
        Example = "_sha256")]
    public string? TargetSuffix { get; set; }

    [Option("How the digest is written.", Example = "base64")]
    public DigestEncoding Encoding { get; set; } = DigestEncoding.Hex;

    public IProcessorFactory Build(ComponentContext context)
    {
        if (Fields.Count == 0)
        {
            throw new ComponentBuildException("fields", "expected at least one field to hash, found an empty list");
        }
        if (TargetSuffix is { Length: 0 })
        {
            throw new ComponentBuildException("target_suffix", "expected a suffix such as _sha256, found an empty string (omit the option to hash in place)");
        }
        if (!Enum.IsDefined(Encoding))
        {
            throw new ComponentBuildException("encoding", $"expected hex or base64, found {Encoding}");
        }
        var fields = new (FieldPath, FieldPath)[Fields.Count];
        for (var i = 0; i < fields.Length; i++)
        {
            var field = Fields[i];
            if (field.IsRoot)
            {
                throw new ComponentBuildException("fields", "expected field paths such as .user.email, found the root '.'");
            }
            fields[i] = (field, TargetSuffix is null ? field : Sibling(field, TargetSuffix));
        }
        var encoding = Encoding;
        return new ProcessorFactory(_ => new Hash(fields, encoding));
    }

    /// <summary><c>.user.email</c> + <c>_sha256</c> = <c>.user.email_sha256</c>.</summary>
    private static FieldPath Sibling(FieldPath field, string suffix)
    {
        var last = field.Segments[^1];
        if (last.IsIndex)
        {
            throw new ComponentBuildException("target_suffix", $"a suffix needs fields that end in a name, found {field} (hash array elements in place instead)");
        }
        var text = new StringBuilder();
        for (var i = 0; i < field.Segments.Count - 1; i++)
        {
            AppendSegment(text, field.Segments[i]);
        }
        AppendSegment(text, PathSegment.ForKey(last.Key + suffix));
        return FieldPath.TryParse(text.ToString(), out var sibling, out var error)
            ? sibling
            : throw new ComponentBuildException("target_suffix", $"{field} with suffix '{suffix}' is not a valid field path: {error}");
    }

    private static void AppendSegment(StringBuilder text, PathSegment segment)
    {
        if (segment.IsIndex)
        {
            text.Append('[').Append(segment.Index).Append(']');
            return;
        }
        var key = segment.Key!;
        var plain = key.Length > 0;
        foreach (var c in key)
        {
            plain &= char.IsLetterOrDigit(c) || c is '_' or '-' or '@' or '$';
        }
        text.Append('.');
        if (plain)
        {
            text.Append(key);
        }
        else
        {
            text.Append('"').Append(key.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
        }
    }
}

/// <summary>
/// Replaces fields (or writes siblings of them) with their SHA-256 digest. The CPU-bound reference workload for
/// scaling: hashing and encoding run in stack memory and allocate nothing per event.
/// </summary>
/// <param name="fields">Each field to hash and where its digest goes (the field itself, or its sibling).</param>
public sealed class Hash((FieldPath Source, FieldPath Target)[] fields, HashConfig.DigestEncoding encoding) : IProcessor
{
    // Only for values that are not strings (their JSON text); reused, so it stops allocating once grown.
    private readonly ArrayBufferWriter<byte> _json = new(256);

    public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> encoded = stackalloc byte[2 * SHA256.HashSizeInBytes];
        foreach (var (source, target) in fields)
        {
            var value = evt.Get(source);
            if (value.TryGetUtf8(out var utf8))
            {
                SHA256.HashData(utf8, digest);
            }
            else if (value.Kind is EventValueKind.Missing or EventValueKind.Null)
            {
                continue;
            }
            else
            {
                _json.ResetWrittenCount();
                value.WriteUtf8(_json);
                SHA256.HashData(_json.WrittenSpan, digest);
            }
            evt.SetString(target, encoded[..Encode(digest, encoded)]);
        }
        output.Emit(evt);
        return ValueTask.CompletedTask;
    }

    private int Encode(ReadOnlySpan<byte> digest, Span<byte> destination)
    {
        int written;
        if (encoding == HashConfig.DigestEncoding.Hex)
        {
            Convert.TryToHexStringLower(digest, destination, out written);
        }
        else
        {
            Base64.EncodeToUtf8(digest, destination, out _, out written);
        }
        return written;
    }
}

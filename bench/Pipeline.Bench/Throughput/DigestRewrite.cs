using System.Security.Cryptography;
using System.Text;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// The isolates comparison's CPU-bound transform, in C#: <c>payload_sha256</c> = lowercase hex SHA-256 of the
/// payload's UTF-8 bytes, then a JSON rewrite (<c>user.email</c> moved to <c>user_email</c>, <c>processed: true</c>
/// added, <c>payload</c> removed). <see cref="DigestRewriteScript"/> is the same in JavaScript; the worker process runs
/// this one.
/// </summary>
internal sealed class DigestRewrite : IProcessor
{
    private static readonly FieldPath Payload = FieldPath.Parse(".payload");
    private static readonly FieldPath Digest = FieldPath.Parse(".payload_sha256");
    private static readonly FieldPath Email = FieldPath.Parse(".user.email");
    private static readonly FieldPath UserEmail = FieldPath.Parse(".user_email");
    private static readonly FieldPath Processed = FieldPath.Parse(".processed");

    /// <summary>The input event: a payload of exactly 1 KiB of UTF-8 with multi-byte characters, so every arm must
    /// hash the payload's UTF-8 bytes, not its UTF-16 code units, to agree with the others.</summary>
    public static string InputJson { get; } = CreateInputJson();

    public ValueTask ProcessAsync(Event evt, IEventEmitter output, CancellationToken cancellationToken)
    {
        Apply(evt);
        output.Emit(evt);
        return ValueTask.CompletedTask;
    }

    public static void Apply(Event evt)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> hex = stackalloc byte[2 * SHA256.HashSizeInBytes];
        if (!evt.Get(Payload).TryGetUtf8(out var payload))
        {
            throw new InvalidOperationException("expected a string .payload, found none");
        }
        SHA256.HashData(payload, digest);
        Convert.TryToHexStringLower(digest, hex, out _);
        evt.SetString(Digest, hex);
        evt.Rename(Email, UserEmail);
        evt.SetBoolean(Processed, true);
        evt.Remove(Payload);
    }

    private static string CreateInputJson()
    {
        const string Sentence = "Zahlung über 12,50 € für Bestellung 4711 akzeptiert; ";
        var payload = new StringBuilder();
        while (Encoding.UTF8.GetByteCount(payload.ToString()) + Encoding.UTF8.GetByteCount(Sentence) <= 1024)
        {
            payload.Append(Sentence);
        }
        payload.Append('x', 1024 - Encoding.UTF8.GetByteCount(payload.ToString()));
        return $$"""{"message":"payment accepted","user":{"email":"a@b.c"},"payload":"{{payload}}"}""";
    }
}

using System.Buffers;
using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Pipeline.Sources.Http;

/// <summary>
/// Reading a request body whole, bounded by max_body. Small buffers come from the shared pool; large ones are plain
/// arrays the GC takes back, because the shared pool keeps what it is given per core, forever: 32 bodies of 10 MiB
/// once left about 3.6 GB pooled in a process that then never shrank.
/// </summary>
internal static class RequestBody
{
    /// <summary>The largest buffer taken from (and given back to) the shared pool.</summary>
    private const int LargestPooled = 1024 * 1024;

    private const int InitialBodyBuffer = 16 * 1024;

    public static void Return(byte[] buffer)
    {
        if (buffer.Length <= LargestPooled)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads the whole (decompressed) body into one array (give it back with <see cref="Return"/>); null when it is over max_body.</summary>
    public static async Task<(byte[]? Body, int Length)> ReadAsync(HttpContext http, bool gzip, long maxBody)
    {
        var sizeLimit = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeLimit is { IsReadOnly: false })
        {
            // Raw bytes: also stops a chunked upload before it is all read. Decompressed bytes are counted below.
            sizeLimit.MaxRequestBodySize = maxBody;
        }
        var limit = (int)maxBody;
        var source = gzip ? new GZipStream(http.Request.Body, CompressionMode.Decompress, leaveOpen: true) : http.Request.Body;
        await using (source.ConfigureAwait(false))
        {
            var initial = (int)Math.Min(http.Request.ContentLength is { } declared && !gzip ? declared + 1 : InitialBodyBuffer, limit + 1L);
            var buffer = Rent(Math.Max(initial, 1));
            var length = 0;
            try
            {
                while (true)
                {
                    if (length == buffer.Length)
                    {
                        var grown = Rent((int)Math.Min(buffer.Length * 2L, limit + 1L));
                        buffer.AsSpan(0, length).CopyTo(grown);
                        Return(buffer);
                        buffer = grown;
                    }
                    // Reading at most one byte past the limit is enough to know the body is too large.
                    var window = Math.Min(buffer.Length, limit + 1) - length;
                    var read = await source.ReadAsync(buffer.AsMemory(length, window), http.RequestAborted).ConfigureAwait(false);
                    if (read == 0)
                    {
                        var complete = buffer;
                        buffer = null!;
                        return (complete, length);
                    }
                    length += read;
                    if (length > limit)
                    {
                        return (null, 0);
                    }
                }
            }
            finally
            {
                if (buffer is not null)
                {
                    Return(buffer);
                }
            }
        }
    }

    private static byte[] Rent(int length)
        => length <= LargestPooled ? ArrayPool<byte>.Shared.Rent(length) : GC.AllocateUninitializedArray<byte>(length);
}

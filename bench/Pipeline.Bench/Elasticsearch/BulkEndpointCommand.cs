using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Pipeline.Bench.Elasticsearch;

/// <summary>
/// A fast stand-in for Elasticsearch's <c>_bulk</c> for bench/elasticsearch.sh: Kestrel on 127.0.0.1 (an ephemeral
/// port) that answers every item created, so the benchmark measures the pipeline rather than a cluster. It counts the
/// lines of each body (two per item) without parsing them, prints <c>url http://…</c> and <c>ready</c>, and serves
/// until it is killed; <c>GET /count</c> answers the items accepted so far.
/// </summary>
internal static class BulkEndpointCommand
{
    public const string Usage = "es-bulk (a fast all-success _bulk endpoint for bench/elasticsearch.sh)";

    private static readonly byte[] Item = "{\"create\":{\"_index\":\"logs-bench-default\",\"_id\":\"x\",\"_version\":1,\"result\":\"created\",\"status\":201}}"u8.ToArray();

    // The answer for a body of n items, made once per n: every batch of a run is about the same size.
    private static readonly ConcurrentDictionary<int, byte[]> Answers = new();

    private static long _accepted;

    public static async Task<int> RunAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapPost("/_bulk", AnswerAsync);
        app.MapGet("/count", () => Interlocked.Read(ref _accepted).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await app.StartAsync().ConfigureAwait(false);
        Console.WriteLine($"url {app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()}");
        Console.WriteLine("ready");
        await Task.Delay(Timeout.Infinite).ConfigureAwait(false);
        return 0;
    }

    private static async Task AnswerAsync(HttpContext http)
    {
        var lines = http.Request.Headers.ContentEncoding == "gzip"
            ? await CountLinesAsync(new GZipStream(http.Request.Body, CompressionMode.Decompress), http.RequestAborted).ConfigureAwait(false)
            : await CountLinesAsync(http.Request.BodyReader, http.RequestAborted).ConfigureAwait(false);
        var items = (int)(lines / 2);
        Interlocked.Add(ref _accepted, items);
        var answer = Answers.GetOrAdd(items, Make);
        http.Response.ContentType = "application/json";
        http.Response.Headers["X-Elastic-Product"] = "Elasticsearch";
        http.Response.ContentLength = answer.Length;
        await http.Response.Body.WriteAsync(answer, http.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<long> CountLinesAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        long lines = 0;
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            foreach (var segment in read.Buffer)
            {
                lines += segment.Span.Count((byte)'\n');
            }
            reader.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                return lines;
            }
        }
    }

    private static async Task<long> CountLinesAsync(Stream body, CancellationToken cancellationToken)
    {
        await using (body.ConfigureAwait(false))
        {
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            long lines = 0;
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                lines += buffer.AsSpan(0, read).Count((byte)'\n');
            }
            ArrayPool<byte>.Shared.Return(buffer);
            return lines;
        }
    }

    private static byte[] Make(int items)
    {
        var answer = new ArrayBufferWriter<byte>(64 + items * (Item.Length + 1));
        answer.Write("{\"took\":1,\"errors\":false,\"items\":["u8);
        for (var i = 0; i < items; i++)
        {
            if (i > 0)
            {
                answer.Write(","u8);
            }
            answer.Write(Item);
        }
        answer.Write("]}"u8);
        return answer.WrittenSpan.ToArray();
    }
}

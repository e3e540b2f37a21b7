using System.Buffers;
using System.Buffers.Binary;
using Pipeline.Events;

namespace Pipeline.Bench.Throughput;

/// <summary>
/// <c>Pipeline.Bench isolate-worker</c>: the child of a <see cref="WorkerProcessor"/>. Reads frames of events from
/// stdin, runs <see cref="DigestRewrite"/> on each and answers a frame of the results on stdout, until stdin ends.
/// </summary>
internal static class WorkerLoop
{
    public const string Command = "isolate-worker";

    public static int Run()
    {
        using var input = Console.OpenStandardInput();
        using var output = Console.OpenStandardOutput();
        var header = new byte[sizeof(int)];
        var request = new byte[16 * 1024];
        var answer = new ArrayBufferWriter<byte>(16 * 1024);
        while (input.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) == header.Length)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(header);
            if (request.Length < length)
            {
                request = new byte[Math.Max(length, 2 * request.Length)];
            }
            input.ReadExactly(request, 0, length);
            answer.ResetWrittenCount();
            answer.Advance(sizeof(int));
            var rest = request.AsSpan(0, length);
            while (true)
            {
                var end = rest.IndexOf((byte)'\n');
                var evt = Event.Parse(end < 0 ? rest : rest[..end]);
                DigestRewrite.Apply(evt);
                evt.WriteTo(answer);
                evt.Release();
                if (end < 0)
                {
                    break;
                }
                answer.Write("\n"u8);
                rest = rest[(end + 1)..];
            }
            var frame = System.Runtime.InteropServices.MemoryMarshal.AsMemory(answer.WrittenMemory).Span;
            BinaryPrimitives.WriteInt32LittleEndian(frame, frame.Length - sizeof(int));
            output.Write(frame);
            output.Flush();
        }
        return 0;
    }
}

using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Pipeline.Components;

namespace Pipeline.Sources.Http;

// The answers: the JSON body of every status, and the wait for acknowledgements before answering.
public sealed partial class HttpIngestHandler
{
    /// <summary>
    /// With acknowledgements: answers once every accepted event is terminal at every sink it went to. 200 when all
    /// were delivered or durably buffered (or dropped on purpose by a filter, sample or drop_newest); 422 naming each
    /// dead-lettered line and its reason (the rest was delivered: resend nothing, replay the named lines from the
    /// dead-letter file once fixed); 503 with Retry-After when that did not happen within acknowledgements_timeout
    /// (resend the request: the events that did arrive then arrive twice).
    /// </summary>
    private async Task AnswerWhenAcknowledgedAsync(
        HttpContext http, SourceBatch batch, int accepted, string positionName, List<IngestLineError> errors, string? error, int? firstRejected)
    {
        batch.Seal();
        SourceBatchResult result;
        try
        {
            result = await batch.Completion.WaitAsync(_acknowledgementsTimeout, http.RequestAborted).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            http.Response.Headers.RetryAfter = _retryAfterSeconds;
            await WriteResultAsync(http, StatusCodes.Status503ServiceUnavailable, accepted, positionName, errors,
                $"{accepted} events were accepted but not all of them were delivered within acknowledgements_timeout ({_acknowledgementsTimeout.TotalSeconds}s); "
                + "resend the request (events that did arrive will then arrive twice)", firstRejected: null).ConfigureAwait(false);
            return;
        }
        foreach (var deadLetter in result.DeadLetters)
        {
            errors.Add(new IngestLineError((int)deadLetter.Position, "dead-lettered: " + deadLetter.Reason, 0, 0));
        }
        errors.Sort((a, b) => a.Position.CompareTo(b.Position));
        var status = firstRejected is not null ? StatusCodes.Status503ServiceUnavailable
            : errors.Count > 0 ? StatusCodes.Status422UnprocessableEntity
            : StatusCodes.Status200OK;
        if (status == StatusCodes.Status422UnprocessableEntity)
        {
            error = result.DeadLettered > result.DeadLetters.Count
                ? $"{errors.Count} lines listed were dead-lettered ({result.DeadLettered} copies in all, the first {SourceBatch.MaxListedDeadLetters} listed); the rest was delivered"
                : "the lines listed were dead-lettered (see the dead-letter file); the rest was delivered";
        }
        await WriteResultAsync(http, status, accepted, positionName, errors, error, firstRejected, result).ConfigureAwait(false);
    }

    private Task WriteTooLargeAsync(HttpContext http)
        => WriteErrorAsync(http, StatusCodes.Status413PayloadTooLarge,
            $"the body is larger than max_body ({_maxBody} bytes{(http.Request.Headers.ContentEncoding.Count > 0 ? ", after decompression" : "")}); nothing was accepted");

    private static async Task WriteErrorAsync(HttpContext http, int status, string error)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        var writer = new Utf8JsonWriter(http.Response.BodyWriter, IngestResponseJson.WriterOptions);
        await using (writer.ConfigureAwait(false))
        {
            writer.WriteStartObject();
            writer.WriteString("error", error);
            writer.WriteEndObject();
        }
        await http.Response.BodyWriter.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private static async Task WriteResultAsync(HttpContext http, int status, int accepted, string positionName,
        List<IngestLineError> errors, string? error, int? firstRejected, SourceBatchResult? acknowledged = null)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        var writer = new Utf8JsonWriter(http.Response.BodyWriter, IngestResponseJson.WriterOptions);
        await using (writer.ConfigureAwait(false))
        {
            writer.WriteStartObject();
            writer.WriteNumber("accepted", accepted);
            if (error is not null)
            {
                writer.WriteString("error", error);
            }
            if (firstRejected is { } position)
            {
                writer.WriteNumber("first_rejected", position);
            }
            if (acknowledged is not null)
            {
                // Per copy: an event that fanned out to two sinks counts at each.
                writer.WriteStartObject("acknowledged");
                writer.WriteNumber("delivered", acknowledged.Delivered);
                writer.WriteNumber("buffered", acknowledged.Buffered);
                writer.WriteNumber("dropped", acknowledged.Dropped);
                writer.WriteNumber("dead_lettered", acknowledged.DeadLettered);
                writer.WriteEndObject();
            }
            writer.WriteStartArray("errors");
            foreach (var e in errors)
            {
                writer.WriteStartObject();
                writer.WriteNumber(positionName, e.Position);
                writer.WriteString("error", e.Reason);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        await http.Response.BodyWriter.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }
}

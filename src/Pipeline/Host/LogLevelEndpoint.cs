using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Pipeline.Telemetry;
using Pipeline.Telemetry.Logging;

namespace Pipeline.Host;

/// <summary>
/// <c>GET /loglevel</c> answers the service's current log level; <c>PUT /loglevel</c> changes it without a restart,
/// taking the level from <c>?level=debug</c>, a plain-text body <c>debug</c> or a JSON body <c>{"level":"debug"}</c>.
/// An unknown level is a 400 that lists the valid ones.
/// </summary>
internal static class LogLevelEndpoint
{
    private const int MaxBodyChars = 256;

    // What Results.Json used: the web defaults (camelCase; these answers' names are lower case already).
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(WebApplication app, Serilog.ILogger logger)
    {
        // Request delegates rather than minimal-API handlers, as AdminServer explains.
        app.MapGet("/loglevel", http => WriteJsonAsync(http, StatusCodes.Status200OK, new { level = LogLevelNames.Name(LoggingSetup.LevelSwitch.MinimumLevel) }));
        app.MapPut("/loglevel", async http =>
        {
            var text = http.Request.Query["level"].ToString();
            if (text.Length == 0)
            {
                text = await ReadLevelFromBodyAsync(http.Request).ConfigureAwait(false);
            }
            if (!LogLevelNames.TryParse(text, out var level))
            {
                await WriteJsonAsync(
                    http,
                    StatusCodes.Status400BadRequest,
                    new { error = $"unknown log level '{text}': expected {LogLevelNames.Expected}", valid = LogLevelNames.Valid }).ConfigureAwait(false);
                return;
            }
            var previous = LoggingSetup.ChangeLevel(level, logger, "PUT /loglevel");
            await WriteJsonAsync(http, StatusCodes.Status200OK, new { level = LogLevelNames.Name(level), previous = LogLevelNames.Name(previous) }).ConfigureAwait(false);
        });
    }

    private static Task WriteJsonAsync<T>(HttpContext http, int statusCode, T value)
    {
        http.Response.StatusCode = statusCode;
        return http.Response.WriteAsJsonAsync(value, Json, http.RequestAborted);
    }

    private static async Task<string> ReadLevelFromBodyAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var buffer = new char[MaxBodyChars];
        var read = await reader.ReadBlockAsync(buffer, request.HttpContext.RequestAborted).ConfigureAwait(false);
        var body = new string(buffer, 0, read).Trim();
        if (!body.StartsWith('{'))
        {
            return body;
        }
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("level", out var level) && level.ValueKind == JsonValueKind.String ? level.GetString() ?? "" : body;
        }
        catch (JsonException)
        {
            return body;
        }
    }
}

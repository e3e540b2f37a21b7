using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
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

    // ASP.NET Core's JSON defaults, as Results.Json wrote these answers before: the relaxed encoder leaves the quotes
    // around an unknown level readable ('bogus', not \u0027bogus\u0027).
    private static readonly AdminJson Json = new(new JsonSerializerOptions(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    public static void Map(WebApplication app, Serilog.ILogger logger)
    {
        // Request delegates rather than minimal-API handlers, as AdminServer explains.
        app.MapGet("/loglevel", http => WriteJsonAsync(http, StatusCodes.Status200OK, new LogLevelAnswer(LogLevelNames.Name(LoggingSetup.LevelSwitch.MinimumLevel)), Json.LogLevelAnswer));
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
                    new LogLevelRefusal($"unknown log level '{text}': expected {LogLevelNames.Expected}", LogLevelNames.Valid),
                    Json.LogLevelRefusal).ConfigureAwait(false);
                return;
            }
            var previous = LoggingSetup.ChangeLevel(level, logger, "PUT /loglevel");
            await WriteJsonAsync(http, StatusCodes.Status200OK, new LogLevelAnswer(LogLevelNames.Name(level), LogLevelNames.Name(previous)), Json.LogLevelAnswer).ConfigureAwait(false);
        });
    }

    private static Task WriteJsonAsync<T>(HttpContext http, int statusCode, T value, JsonTypeInfo<T> json)
    {
        http.Response.StatusCode = statusCode;
        return http.Response.WriteAsJsonAsync(value, json, cancellationToken: http.RequestAborted);
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

using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors;

/// <summary>Options of <c>redact</c>.</summary>
public sealed class RedactOptions
{
    [Option("String fields to scan; missing and non-string fields are skipped.", Example = "[.message, .request.headers.authorization]")]
    public List<FieldPath> Fields { get; set; } = [FieldPath.Parse(".message")];

    [Option("Regular expressions (.NET syntax) whose matches are masked; use lookarounds to mask only part of a match.",
        Example = "['(?<=password=)\\S+']")]
    public List<string> Patterns { get; set; } = [];

    [Option("Built-in patterns: email, bearer_token (the token after \"Bearer \"), credit_card (13-19 digits passing the Luhn check).",
        Example = "[email, bearer_token, credit_card]")]
    public List<string> Presets { get; set; } = [];

    [Option("The text that replaces each match.", Example = "\"***\"")]
    public string Replacement { get; set; } = "[REDACTED]";
}

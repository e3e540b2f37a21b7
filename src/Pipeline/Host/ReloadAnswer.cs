namespace Pipeline.Host;

/// <summary>
/// What a reload did, as <c>POST /reload</c> answers it and the log records it: the result (applied, unchanged,
/// rejected, stopping, no_file), the component ids by what happened to them, and the errors of a rejected config.
/// </summary>
public sealed record ReloadAnswer(
    string Result,
    IReadOnlyList<string> Added,
    IReadOnlyList<string> Removed,
    IReadOnlyList<string> Changed,
    IReadOnlyList<string> Unchanged,
    IReadOnlyList<string> Errors)
{
    public const string AppliedResult = "applied";
    public const string UnchangedResult = "unchanged";
    public const string RejectedResult = "rejected";
    public const string StoppingResult = "stopping";
    public const string NoFileResult = "no_file";

    public static ReloadAnswer Refused(string result, IReadOnlyList<string> errors) => new(result, [], [], [], [], errors);
}

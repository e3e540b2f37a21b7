using System.Runtime.CompilerServices;
using Pipeline.Components;
using Pipeline.Config;

namespace Pipeline.Tests.Logging;

public sealed class LoggingDocsTests
{
    [Fact]
    public void Every_telemetry_logs_option_and_variable_is_in_docs_logging_md()
    {
        var docs = File.ReadAllText(DocsPath());
        var options = ComponentDescriptor.OptionsOf(typeof(LogsSettings)).Select(o => o.Name);
        string[] variables = [LogsSettings.LevelVariable, LogsSettings.OtlpVariable, LogsSettings.ElasticsearchUrlVariable, LogsSettings.ServiceNameVariable];

        var missing = options.Concat(variables).Where(name => !docs.Contains($"`{name}`", StringComparison.Ordinal)).ToList();

        Assert.Empty(missing);
    }

    private static string DocsPath([CallerFilePath] string testFile = "")
        => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(testFile)!, "..", "..", "..", "docs", "logging.md"));
}

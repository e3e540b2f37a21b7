namespace Pipeline.Tests.Support;

/// <summary>The checkout the tests run from: the directory holding Pipeline.sln, found by walking up from the test binary.</summary>
internal static class RepositoryRoot
{
    private static readonly Lazy<string> Root = new(Find);

    public static string Path => Root.Value;

    /// <summary>A path inside the repository, from its parts relative to the root.</summary>
    public static string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Pipeline.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException($"no Pipeline.sln above {AppContext.BaseDirectory}: these tests read the repository's files");
    }
}

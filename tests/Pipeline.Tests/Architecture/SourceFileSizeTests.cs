using Pipeline.Tests.Support;

namespace Pipeline.Tests.Architecture;

public sealed class SourceFileSizeTests
{
    [Fact]
    public void No_source_file_is_longer_than_600_lines()
    {
        // A file that grows past this does more than one job: split it by job (as Events/Event*.cs is split).
        var tooLong = Directory.EnumerateFiles(RepositoryRoot.Combine("src"), "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(file => (File: Path.GetRelativePath(RepositoryRoot.Path, file), Lines: File.ReadLines(file).Count()))
            .Where(f => f.Lines > 600)
            .Select(f => $"{f.File}: {f.Lines} lines");

        Assert.Empty(tooLong);
    }
}

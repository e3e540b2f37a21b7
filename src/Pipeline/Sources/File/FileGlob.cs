using Microsoft.Extensions.FileSystemGlobbing;

namespace Pipeline.Sources.File;

/// <summary>
/// The include and exclude globs of a file source, expanded with Microsoft.Extensions.FileSystemGlobbing. Each
/// absolute include pattern is split at its first wildcard segment into a directory to walk and a pattern relative to
/// it, so <c>/var/log/containers/*.log</c> lists one directory instead of the whole filesystem.
/// </summary>
internal sealed class FileGlob
{
    private static readonly char[] Wildcards = ['*', '?', '[', '{'];

    private readonly (string Root, Matcher Matcher)[] _includes;
    private readonly Matcher? _exclude;

    private FileGlob((string Root, Matcher Matcher)[] includes, Matcher? exclude, string description)
    {
        Description = description;
        _includes = includes;
        _exclude = exclude;
    }

    public static FileGlob Create(IReadOnlyList<string> include, IReadOnlyList<string> exclude)
    {
        var includes = include
            .Select(Split)
            .GroupBy(split => split.Root, StringComparer.Ordinal)
            .Select(group =>
            {
                var matcher = new Matcher(StringComparison.Ordinal);
                foreach (var (_, relative) in group)
                {
                    matcher.AddInclude(relative);
                }
                return (group.Key, matcher);
            })
            .ToArray();
        Matcher? excludes = null;
        if (exclude.Count > 0)
        {
            excludes = new Matcher(StringComparison.Ordinal);
            foreach (var pattern in exclude)
            {
                excludes.AddInclude(pattern.TrimStart('/'));
            }
        }
        var description = string.Join(", ", include) + (exclude.Count > 0 ? " except " + string.Join(", ", exclude) : "");
        return new FileGlob(includes, excludes, description);
    }

    /// <summary>The patterns, for logs.</summary>
    public string Description { get; }

    /// <summary>The paths that match now, each once, in a stable order. Directories that do not exist match nothing.</summary>
    public IEnumerable<string> Expand()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (root, matcher) in _includes)
        {
            if (!Directory.Exists(root))
            {
                continue;
            }
            IEnumerable<string> found;
            try
            {
                found = matcher.GetResultsInFullPath(root).Order(StringComparer.Ordinal).ToList();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A directory removed or unreadable while it was walked: the next expansion tries again.
                continue;
            }
            foreach (var path in found)
            {
                if (seen.Add(path) && !IsExcluded(path))
                {
                    yield return path;
                }
            }
        }
    }

    public bool IsExcluded(string path) => _exclude is not null && _exclude.Match("/", path).HasMatches;

    private static (string Root, string Relative) Split(string pattern)
    {
        var segments = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var fixedSegments = 0;
        while (fixedSegments < segments.Length - 1 && segments[fixedSegments].IndexOfAny(Wildcards) < 0)
        {
            fixedSegments++;
        }
        return ("/" + string.Join('/', segments[..fixedSegments]), string.Join('/', segments[fixedSegments..]));
    }
}

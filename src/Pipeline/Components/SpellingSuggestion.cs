namespace Pipeline.Components;

/// <summary>
/// Picks the "did you mean" candidate for a misspelt name by optimal-string-alignment (Damerau-Levenshtein) distance,
/// so a swapped pair of letters counts as one typo.
/// </summary>
/// <remarks>Hand-written: a dozen lines, and no served package offers an edit distance.</remarks>
internal static class SpellingSuggestion
{
    /// <summary>The closest candidate within a typo's reach of <paramref name="found"/>, or null.</summary>
    public static string? Closest(string found, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            // Up to a third of the longer word may be wrong (at least one edit, at most three), and never all of
            // what was typed: "a" is not a typo of "b".
            var allowed = Math.Clamp(Math.Max(found.Length, candidate.Length) / 3, 1, 3);
            var distance = Distance(found.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance <= allowed && distance < found.Length && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }
        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }
        return d[a.Length, b.Length];
    }
}

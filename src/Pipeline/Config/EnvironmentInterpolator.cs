using System.Collections;
using System.Text;

namespace Pipeline.Config;

/// <summary>
/// Replaces <c>${VAR}</c> and <c>${VAR:-default}</c> in scalar values, and <c>$$</c> with a literal <c>$</c>.
/// A <c>$</c> followed by anything else is kept as written.
/// </summary>
/// <remarks>
/// Hand-written: the grammar is three forms, and no served package implements shell-style interpolation.
/// It runs on the parsed tree, not on the text, so every mark still points at what the user wrote.
/// As in the shell, <c>:-</c> also applies when the variable is set but empty.
/// </remarks>
internal static class EnvironmentInterpolator
{
    public static IReadOnlyDictionary<string, string> ProcessEnvironment()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = (string?)entry.Value ?? "";
        }
        return variables;
    }

    /// <summary>Interpolates every scalar value (not keys) under <paramref name="node"/>, reporting each failure at its mark.</summary>
    /// <remarks>
    /// An aliased node is shared, so it is interpolated once: a second pass would interpolate its result again
    /// (<c>$${X}</c> would become the value of X), and it keeps the walk as long as the file, not its expansion.
    /// </remarks>
    public static void InterpolateTree(ConfigNode node, IReadOnlyDictionary<string, string> environment, List<ConfigError> errors)
        => Interpolate(node, environment, errors, new HashSet<ConfigNode>(ReferenceEqualityComparer.Instance));

    private static void Interpolate(ConfigNode node, IReadOnlyDictionary<string, string> environment, List<ConfigError> errors, HashSet<ConfigNode> visited)
    {
        if (!visited.Add(node))
        {
            return;
        }
        switch (node)
        {
            case ConfigScalar scalar:
                if (scalar.Value.Contains('$', StringComparison.Ordinal))
                {
                    if (TryInterpolate(scalar.Value, environment, out var result, out var error))
                    {
                        scalar.Value = result;
                    }
                    else
                    {
                        scalar.HasReportedError = true;
                        errors.Add(new ConfigError(scalar.Mark, error));
                    }
                }
                break;
            case ConfigSequence sequence:
                foreach (var item in sequence.Items)
                {
                    Interpolate(item, environment, errors, visited);
                }
                break;
            case ConfigMapping mapping:
                foreach (var entry in mapping.Entries)
                {
                    Interpolate(entry.Value, environment, errors, visited);
                }
                break;
        }
    }

    public static bool TryInterpolate(string text, IReadOnlyDictionary<string, string> environment, out string result, out string error)
    {
        result = text;
        error = "";
        var sb = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c != '$' || i + 1 >= text.Length)
            {
                sb.Append(c);
                i++;
                continue;
            }
            var next = text[i + 1];
            if (next == '$')
            {
                sb.Append('$');
                i += 2;
                continue;
            }
            if (next != '{')
            {
                sb.Append(c);
                i++;
                continue;
            }
            var close = text.IndexOf('}', i + 2);
            if (close < 0)
            {
                error = $"expected '}}' to close '${{' in '{text}' (write $$ for a literal $)";
                return false;
            }
            var body = text[(i + 2)..close];
            var separator = body.IndexOf(":-", StringComparison.Ordinal);
            var name = separator < 0 ? body : body[..separator];
            if (!IsVariableName(name))
            {
                error = $"expected an environment variable name (letters, digits, _) in '${{{body}}}', found '{name}'";
                return false;
            }
            environment.TryGetValue(name, out var value);
            if (separator >= 0)
            {
                sb.Append(string.IsNullOrEmpty(value) ? body[(separator + 2)..] : value);
            }
            else if (value is null)
            {
                error = $"environment variable '{name}' is not set (expected it set, or a default: ${{{name}:-default}})";
                return false;
            }
            else
            {
                sb.Append(value);
            }
            i = close + 1;
        }
        result = sb.ToString();
        return true;
    }

    private static bool IsVariableName(string name)
    {
        if (name.Length == 0 || char.IsAsciiDigit(name[0]))
        {
            return false;
        }
        foreach (var ch in name)
        {
            if (!char.IsAsciiLetterOrDigit(ch) && ch != '_')
            {
                return false;
            }
        }
        return true;
    }
}

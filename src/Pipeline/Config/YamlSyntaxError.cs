namespace Pipeline.Config;

/// <summary>
/// Turns YamlDotNet's account of a syntax error ("While scanning a multiline plain scalar, found invalid mapping",
/// reported where the scanner noticed, often a line after the mistake) into the mistake a person made, at the place
/// they made it: a tab in the indentation, a key without its colon, a line indented to no key, a quote or bracket
/// left open (at the quote or bracket).
/// </summary>
/// <remarks>
/// The parser's message and mark say which kind of mistake it is; a look at the text around them says where. The
/// look is line-based and knows only YAML's lexical basics (quotes, comments, flow brackets), so whenever it finds
/// nothing better it falls back to the parser's own words at the parser's own mark.
/// </remarks>
internal static class YamlSyntaxError
{
    /// <param name="at">Where the parser stopped.</param>
    /// <param name="parserMessage">YamlDotNet's message, or null when it gave up without one.</param>
    public static ConfigError Explain(string yaml, SourceMark at, string? parserMessage)
    {
        var lines = yaml.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        var message = parserMessage ?? "";
        return TabIndentation(lines, at, anywhere: Mentions(message, "tab"))
            ?? (Mentions(message, "quoted scalar", "flow sequence", "flow mapping", "end of stream") || parserMessage is null
                ? UnclosedOpener(lines, at) : null)
            ?? (Mentions(message, "did not find expected") ? PartlyQuoted(lines, at) : null)
            ?? (Mentions(message, "invalid mapping", "expected key", "expected ':'", "wrong indentation", "block mapping", "block sequence")
                ? MissingColon(lines, at) ?? Indentation(lines, at) : null)
            ?? new ConfigError(at, parserMessage is null
                ? "invalid YAML: the parser could not read past this point (is a bracket or quote left open?)"
                : "invalid YAML: " + char.ToLowerInvariant(message[0]) + message[1..].ReplaceLineEndings(" ").TrimEnd('.'));
    }

    private static bool Mentions(string message, params string[] phrases)
        => phrases.Any(p => message.Contains(p, StringComparison.OrdinalIgnoreCase));

    /// <param name="anywhere">The parser named a tab, which it may do a line before the tab's.</param>
    private static ConfigError? TabIndentation(string[] lines, SourceMark at, bool anywhere)
    {
        for (var i = 0; i < (anywhere ? lines.Length : Math.Min(lines.Length, at.Line)); i++)
        {
            var line = lines[i];
            var indent = line.Length - line.TrimStart(' ', '\t').Length;
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab >= 0 && tab < indent && indent < line.Length && line[indent] != '#')
            {
                return new ConfigError(at with { Line = i + 1, Column = tab + 1 },
                    "invalid YAML: a tab indents this line, and YAML does not allow tabs for indentation (expected spaces)");
            }
        }
        return null;
    }

    /// <summary>The innermost quote or flow bracket still open where the parser stopped (or at the end of the text).</summary>
    private static ConfigError? UnclosedOpener(string[] lines, SourceMark at)
    {
        var open = new Stack<(char Bracket, int Line, int Column)>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            for (var j = 0; j < line.Length; j++)
            {
                var c = line[j];
                var tokenStart = j == 0 || line[j - 1] is ' ' or '\t' or '[' or '{' or ',' || (line[j - 1] == ':' && open.Count > 0);
                if (c == '#' && (j == 0 || line[j - 1] is ' ' or '\t'))
                {
                    break;
                }
                if (c is '"' or '\'' && tokenStart)
                {
                    if (!SkipQuoted(lines, ref i, ref j, c))
                    {
                        return new ConfigError(at with { Line = i + 1, Column = j + 1 },
                            $"invalid YAML: the string opened by {c} here is never closed (expected a closing {c})");
                    }
                    line = lines[i];
                    continue;
                }
                if (c is '[' or '{' && (tokenStart || open.Count > 0))
                {
                    open.Push((c, i + 1, j + 1));
                }
                else if (c is ']' or '}' && open.Count > 0)
                {
                    open.Pop();
                }
            }
        }
        if (open.Count == 0)
        {
            return null;
        }
        var (bracket, openLine, openColumn) = open.Peek();
        var closing = bracket == '[' ? ']' : '}';
        return new ConfigError(at with { Line = openLine, Column = openColumn },
            $"invalid YAML: the '{bracket}' opened here is never closed (expected a '{closing}' to close it)");
    }

    /// <summary>Moves past a quoted scalar that opens at line <paramref name="i"/>, column <paramref name="j"/>; false when it never closes.</summary>
    private static bool SkipQuoted(string[] lines, ref int i, ref int j, char quote)
    {
        var (line, column) = (i, j + 1);
        while (line < lines.Length)
        {
            var text = lines[line];
            for (; column < text.Length; column++)
            {
                if (quote == '"' && text[column] == '\\')
                {
                    column++;
                }
                else if (text[column] == quote)
                {
                    if (quote == '\'' && column + 1 < text.Length && text[column + 1] == '\'')
                    {
                        column++;
                        continue;
                    }
                    (i, j) = (line, column);
                    return true;
                }
            }
            line++;
            column = 0;
        }
        return false;
    }

    /// <summary>
    /// A value that starts with a quoted string and goes on after it (<c>condition: "error" == .level</c>): YAML
    /// reads the string as the whole value and stumbles on what follows.
    /// </summary>
    private static ConfigError? PartlyQuoted(string[] lines, SourceMark at)
    {
        var index = at.Line - 1;
        if (index < 0 || index >= lines.Length)
        {
            return null;
        }
        var line = lines[index];
        var rest = Math.Min(at.Column - 1, line.Length);
        var close = rest - 1;
        while (close >= 0 && line[close] == ' ')
        {
            close--;
        }
        if (close < 0 || line[close] is not ('"' or '\'') || rest >= line.Length || line[rest] is ',' or '}' or ']' or '#')
        {
            return null;
        }
        var quote = line[close];
        for (var open = line.IndexOf(quote, StringComparison.Ordinal); open >= 0 && open < close; open = line.IndexOf(quote, open + 1))
        {
            var (i, j) = (index, open);
            if (!SkipQuoted(lines, ref i, ref j, quote) || i != index || j != close)
            {
                continue;
            }
            var other = quote == '"' ? '\'' : '"';
            var value = line[open..].TrimEnd();
            var stop = value.IndexOfAny([',', '}', ']', '#'], close - open + 1);
            value = stop < 0 ? value : value[..stop].TrimEnd();
            var example = value.Contains(other, StringComparison.Ordinal) ? "" : $", as in {other}{value}{other}";
            return new ConfigError(at with { Column = rest + 1 },
                $"invalid YAML: only the start of this value is quoted: the string {line[open..(close + 1)]} ends before '{Shorten(value[(rest - open)..])}' (expected the whole value in quotes{example})");
        }
        return null;
    }

    /// <summary>A <c>key value</c> line (at the parser's mark or the content line before it) that lacks its colon.</summary>
    private static ConfigError? MissingColon(string[] lines, SourceMark at)
    {
        var here = at.Line - 1;
        foreach (var index in new[] { here, PreviousContentLine(lines, here) })
        {
            if (index < 0 || index >= lines.Length)
            {
                continue;
            }
            var content = lines[index].TrimStart(' ');
            if (content.Length == 0 || content[0] is '#' or '-' or '[' or '{' or '"' or '\'' || HasKeyColon(content) || !content.Contains(' ', StringComparison.Ordinal))
            {
                continue;
            }
            var word = content[..content.IndexOf(' ', StringComparison.Ordinal)];
            var indent = lines[index].Length - content.Length;
            return new ConfigError(at with { Line = index + 1, Column = indent + word.Length + 1 },
                $"invalid YAML: expected ':' after the key '{word}', found '{Shorten(content)}' (a key and its value are written 'key: value')");
        }
        return null;
    }

    private static bool HasKeyColon(string content)
    {
        var hash = content.IndexOf(" #", StringComparison.Ordinal);
        var text = hash < 0 ? content : content[..hash];
        return text.EndsWith(':') || text.Contains(": ", StringComparison.Ordinal);
    }

    /// <summary>A line indented to no key: deeper than a line whose value is already given, or between two levels.</summary>
    private static ConfigError? Indentation(string[] lines, SourceMark at)
    {
        var here = at.Line - 1;
        if (here < 0 || here >= lines.Length || lines[here].Trim().Length == 0)
        {
            return null;
        }
        var indent = IndentOf(lines[here]);
        var previous = PreviousContentLine(lines, here);
        if (previous < 0)
        {
            return null;
        }
        var mark = at with { Column = indent + 1 };
        var previousIndent = IndentOf(lines[previous]);
        var previousContent = lines[previous].Trim();
        if (indent > previousIndent && !previousContent.EndsWith(':'))
        {
            return new ConfigError(mark,
                $"invalid YAML: inconsistent indentation: this line is indented {indent} spaces, deeper than line {previous + 1} ('{Shorten(previousContent)}'), which opens no block (expected {previousIndent} spaces for another key beside it)");
        }
        // The indentations a line may take here: each enclosing key's and the one of the line above.
        var levels = new SortedSet<int> { previousIndent };
        var lowest = previousIndent;
        for (var i = previous - 1; i >= 0 && lowest > 0; i--)
        {
            if (lines[i].Trim() is { Length: > 0 } text && text[0] != '#' && IndentOf(lines[i]) < lowest)
            {
                lowest = IndentOf(lines[i]);
                levels.Add(lowest);
            }
        }
        if (levels.Contains(indent))
        {
            return null;
        }
        return new ConfigError(mark,
            $"invalid YAML: inconsistent indentation: this line is indented {indent} spaces, which lines it up with no key above it (expected {Alternatives(levels)} spaces)");
    }

    private static int PreviousContentLine(string[] lines, int before)
    {
        for (var i = Math.Min(before, lines.Length) - 1; i >= 0; i--)
        {
            if (lines[i].Trim() is { Length: > 0 } text && text[0] != '#')
            {
                return i;
            }
        }
        return -1;
    }

    private static string Alternatives(SortedSet<int> levels) => levels.Count == 1
        ? levels.Min.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : string.Join(", ", levels.SkipLast(1)) + " or " + levels.Max;

    private static int IndentOf(string line) => line.Length - line.TrimStart(' ').Length;

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";
}

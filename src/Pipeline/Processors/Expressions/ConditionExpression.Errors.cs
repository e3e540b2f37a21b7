using System.Globalization;
using System.Text.RegularExpressions;
using DynamicExpresso.Exceptions;
using Pipeline.Components;

namespace Pipeline.Processors.Expressions;

/// <summary>
/// Build errors in the project's own words: DynamicExpresso's messages are about C# ("Unknown identifier",
/// "')' or operator expected", "Syntax error") and about the generated names this class rewrites paths to, so each
/// one it is known to give is explained as a condition mistake, with the condition and a caret under the place.
/// </summary>
public sealed partial class ConditionExpression
{
    /// <summary>How each function is called, for "did you mean" and for a call whose arguments do not fit.</summary>
    private static readonly Dictionary<string, string> FunctionUsage = new(StringComparer.Ordinal)
    {
        ["exists"] = "exists(.path)",
        ["contains"] = "contains(.path, \"text\") or contains(.path, .other)",
        ["starts_with"] = "starts_with(.path, \"text\") or starts_with(.path, .other)",
        ["ends_with"] = "ends_with(.path, \"text\") or ends_with(.path, .other)",
        ["matches"] = "matches(.path, \"pattern\")",
        ["lower"] = "lower(.path)",
        ["upper"] = "upper(.path)",
        ["length"] = "length(.path)",
    };

    /// <summary>Words people bring from other languages, and the operator a condition spells them with.</summary>
    private static readonly Dictionary<string, string> WordOperators = new(StringComparer.OrdinalIgnoreCase)
    {
        ["and"] = "&&",
        ["or"] = "||",
        ["not"] = "!",
    };

    /// <summary>The position in <see cref="Text"/> and the reason for one of DynamicExpresso's errors.</summary>
    private (int Position, string Reason) Explain(DynamicExpressoException ex)
    {
        var position = ex is ParseException parse ? MapPosition(parse.Position) : 0;
        var message = AtIndexSuffix().Replace(ex.Message, "");
        var word = WordAt(position);
        if (word.Length > 0 && WordOperators.TryGetValue(word, out var spelt))
        {
            return (position, $"'{word}' is not an operator in a condition (did you mean '{spelt}'?)");
        }
        if (ex is UnknownIdentifierException unknown)
        {
            return (position, ExplainUnknownName(unknown.Identifier, position));
        }
        if (message.StartsWith("Assignment operator", StringComparison.Ordinal))
        {
            return (position, "'=' would assign, and a condition only compares (did you mean '=='?)");
        }
        if (message == "')' or operator expected")
        {
            var open = UnclosedParenthesis(position);
            return AtEnd(position) && open >= 0
                ? (position, $"expected ')' to close the '(' at position {open + 1}, found the end of the condition")
                : (position, $"expected ')' or an operator, found {Found(position)}");
        }
        if (message == "Syntax error")
        {
            return position < Text.Length && Text[position] == ')'
                ? (position, "found ')' with no '(' open before it")
                : (position, $"expected an operator (==, !=, <, >, &&, || ...), found {Found(position)}");
        }
        if (message == "Expression expected")
        {
            if (position >= 2 && string.CompareOrdinal(Text, position - 2, "===", 0, 3) == 0)
            {
                return (position - 2, "'===' is not an operator in a condition (did you mean '=='?)");
            }
            return (position, $"expected a value (a field path such as .level, a string, a number or a function call), found {Found(position)}");
        }
        if (message == "Invalid Operation")
        {
            return AtEnd(position)
                ? (position, "expected a value after the operator, found the end of the condition")
                : (position, "the operator does not apply to these values (compare a field with a string, a number, true, false or null)");
        }
        if (message == "Argument list incompatible with delegate expression")
        {
            return FunctionUsage.TryGetValue(word, out var usage)
                ? (position, $"{word}() does not take these arguments (expected {usage})")
                : (position, "the arguments do not fit the function (see docs/expressions.md)");
        }
        if (message.Contains("cannot be converted to type 'Boolean'", StringComparison.Ordinal))
        {
            return (0, "expected a condition that is true or false, found a value alone (compare it, as in .level == \"error\", or test it with exists(.level))");
        }
        return (position, Readable(message));
    }

    private string ExplainUnknownName(string name, int position)
    {
        var end = position + name.Length;
        while (end < Text.Length && char.IsWhiteSpace(Text[end]))
        {
            end++;
        }
        if (end < Text.Length && Text[end] == '(')
        {
            var suggestion = SpellingSuggestion.Closest(name, FunctionUsage.Keys);
            return suggestion is null
                ? $"unknown function '{name}' (expected one of {string.Join(", ", FunctionUsage.Keys)})"
                : $"unknown function '{name}' (did you mean '{suggestion}'?)";
        }
        return $"unknown name '{name}': a field path starts with '.' (did you mean '.{name}'?)";
    }

    /// <summary>The '(' still open at <paramref name="position"/>, or -1; parentheses inside string literals do not count.</summary>
    private int UnclosedParenthesis(int position)
    {
        var open = new Stack<int>();
        for (var i = 0; i < Math.Min(position, Text.Length); i++)
        {
            switch (Text[i])
            {
                case '"':
                    var close = ClosingQuote(Text, i);
                    i = close < 0 ? Text.Length : close;
                    break;
                case '(':
                    open.Push(i);
                    break;
                case ')' when open.Count > 0:
                    open.Pop();
                    break;
            }
        }
        return open.Count > 0 ? open.Peek() : -1;
    }

    private bool AtEnd(int position) => Text.AsSpan(Math.Min(position, Text.Length)).IsWhiteSpace();

    private string WordAt(int position)
    {
        var end = position;
        while (end < Text.Length && (char.IsLetterOrDigit(Text[end]) || Text[end] == '_'))
        {
            end++;
        }
        return Text[Math.Min(position, end)..end];
    }

    private string Found(int position)
    {
        if (AtEnd(position))
        {
            return "the end of the condition";
        }
        var word = WordAt(position);
        return word.Length > 0 ? $"'{word}'" : $"'{Text[position]}'";
    }

    private int MapPosition(int rewrittenPosition)
    {
        if (rewrittenPosition < 0)
        {
            return 0;
        }
        return rewrittenPosition < _originalPositions.Length ? _originalPositions[rewrittenPosition] : Text.Length;
    }

    /// <summary>Speaks the user's language: generated names back to paths and literals, CLR types to condition types.</summary>
    private string Readable(string message)
    {
        message = GeneratedName().Replace(message, m =>
        {
            var index = int.Parse(m.Groups[2].ValueSpan, CultureInfo.InvariantCulture);
            return m.Groups[1].Value == PathPrefix
                ? (index < _pathTexts.Length ? _pathTexts[index] : m.Value)
                : (index < _literals.Length ? $"\"{_literals[index]}\"" : m.Value);
        });
        return message
            .Replace(NullName, "null", StringComparison.Ordinal)
            .Replace(nameof(FieldValue), "field", StringComparison.Ordinal)
            .Replace(nameof(StringLiteral), "string", StringComparison.Ordinal)
            .Replace(nameof(NullLiteral), "null", StringComparison.Ordinal)
            .Replace("Int32", "integer", StringComparison.Ordinal)
            .Replace("Int64", "integer", StringComparison.Ordinal)
            .Replace("Double", "number", StringComparison.Ordinal)
            .Replace("Boolean", "bool", StringComparison.Ordinal);
    }

    /// <summary>
    /// The reason on the first line, then the condition's line and a caret under <paramref name="position"/>;
    /// <see cref="ComponentBuildException.Offset"/> lets the config binder turn the position into a file column.
    /// </summary>
    private static ComponentBuildException Error(string option, string text, int position, string reason, Exception? inner = null)
    {
        position = Math.Clamp(position, 0, text.Length);
        var lineStart = text.LastIndexOf('\n', Math.Max(0, position - 1)) + 1;
        if (position == 0)
        {
            lineStart = 0;
        }
        var lineEnd = text.IndexOf('\n', position);
        var line = text[lineStart..(lineEnd < 0 ? text.Length : lineEnd)].TrimEnd('\r');
        var caret = new string(' ', position - lineStart) + "^";
        return new ComponentBuildException(option, $"invalid condition: {reason}\n  {line}\n  {caret}", inner) { Offset = position };
    }

    [GeneratedRegex(@" \(at index \d+\)\.?$")]
    private static partial Regex AtIndexSuffix();

    [GeneratedRegex(@"(__f|__s)(\d+)")]
    private static partial Regex GeneratedName();
}

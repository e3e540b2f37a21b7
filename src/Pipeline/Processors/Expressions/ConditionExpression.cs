using System.Linq.Expressions;
using System.Text;
using System.Text.RegularExpressions;
using DynamicExpresso;
using DynamicExpresso.Exceptions;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Processors.Expressions;

/// <summary>
/// A condition of <c>filter</c> or <c>route</c> (syntax in docs/expressions.md). <see cref="Parse"/> validates it at
/// build time; <see cref="Compile"/> turns it into a delegate, once per isolate, so isolates share nothing.
/// </summary>
/// <remarks>
/// The parsing, operator resolution and code generation are DynamicExpresso's. The only thing done here is a lexical
/// substitution that DynamicExpresso cannot do itself: Vector-style field paths (<c>.user.id</c>, <c>."odd key"</c>)
/// are not C# identifiers, so each one (outside string literals) is replaced by a generated parameter name bound to
/// a <see cref="FieldValue"/>; string literals become pre-encoded <see cref="StringLiteral"/> variables and <c>null</c>
/// a typed <see cref="NullLiteral"/>. This is a token scan, not a parser: it knows strings, paths, words and numbers,
/// and copies everything else through for DynamicExpresso to judge.
/// </remarks>
public sealed partial class ConditionExpression
{
    private const string PathPrefix = "__f";
    private const string LiteralPrefix = "__s";
    private const string NullName = "__null";

    private readonly string _option;
    private readonly string _rewritten;
    private readonly int[] _originalPositions;
    private readonly FieldPath[] _paths;
    private readonly string[] _pathTexts;
    private readonly string[] _literals;

    private ConditionExpression(string text, string option, string rewritten, int[] originalPositions, FieldPath[] paths, string[] pathTexts, string[] literals)
    {
        Text = text;
        _option = option;
        _rewritten = rewritten;
        _originalPositions = originalPositions;
        _paths = paths;
        _pathTexts = pathTexts;
        _literals = literals;
    }

    /// <summary>The condition as the user wrote it.</summary>
    public string Text { get; }

    /// <summary>The field paths the condition reads, in order of first use.</summary>
    public IReadOnlyList<FieldPath> Paths => _paths;

    /// <summary>
    /// Validates <paramref name="text"/> by compiling it once. Throws <see cref="ComponentBuildException"/> for
    /// <paramref name="option"/> with the position and the reason.
    /// </summary>
    public static ConditionExpression Parse(string text, string option)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ComponentBuildException(option, "expected a condition such as .level == \"error\", found an empty string");
        }
        var condition = Substitute(text, option);
        condition.Compile();
        return condition;
    }

    /// <summary>Compiles a private delegate (with its own literals and regexes) for one isolate.</summary>
    public Func<Event, bool> Compile()
    {
        var interpreter = new Interpreter(InterpreterOptions.SystemKeywords).EnableAssignment(AssignmentOperators.None);
        interpreter.SetVariable(NullName, NullLiteral.Instance, typeof(NullLiteral));
        for (var i = 0; i < _literals.Length; i++)
        {
            interpreter.SetVariable(LiteralPrefix + i, new StringLiteral(_literals[i]), typeof(StringLiteral));
        }
        ExpressionFunctions.Register(interpreter);

        var parameters = new Parameter[_paths.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            parameters[i] = new Parameter(PathPrefix + i, typeof(FieldValue));
        }

        Lambda lambda;
        try
        {
            lambda = interpreter.Parse(_rewritten, typeof(bool), parameters);
        }
        catch (DynamicExpressoException ex)
        {
            var (position, reason) = Explain(ex);
            throw Error(_option, Text, position, reason, ex);
        }

        var evt = Expression.Parameter(typeof(Event), "evt");
        var body = new FieldBinder(this, evt, parameters).Visit(lambda.Expression);
        return Expression.Lambda<Func<Event, bool>>(body, evt).Compile();
    }

    public override string ToString() => Text;

    private static ConditionExpression Substitute(string text, string option)
    {
        var output = new StringBuilder(text.Length + 16);
        var positions = new List<int>(text.Length + 16);
        var paths = new List<FieldPath>();
        var pathTexts = new List<string>();
        var literals = new List<string>();

        void Append(string token, int originalPosition)
        {
            output.Append(token);
            for (var k = 0; k < token.Length; k++)
            {
                positions.Add(originalPosition);
            }
        }

        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '"')
            {
                var end = ClosingQuote(text, i);
                if (end < 0)
                {
                    throw Error(option, text, i, "unterminated string literal (expected a closing \")");
                }
                var value = Unescape(text[i..(end + 1)], option, text, i);
                var index = literals.IndexOf(value);
                if (index < 0)
                {
                    index = literals.Count;
                    literals.Add(value);
                }
                Append(LiteralPrefix + index, i);
                i = end + 1;
            }
            else if (c == '.' && StartsValue(output))
            {
                var end = PathEnd(text, i);
                var pathText = text[i..end];
                if (!FieldPath.TryParse(pathText, out var path, out var error))
                {
                    throw Error(option, text, i, error);
                }
                var index = pathTexts.IndexOf(path.Text);
                if (index < 0)
                {
                    index = paths.Count;
                    paths.Add(path);
                    pathTexts.Add(path.Text);
                }
                Append(PathPrefix + index, i);
                i = end;
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var end = i;
                while (end < text.Length && (char.IsLetterOrDigit(text[end]) || text[end] == '_'))
                {
                    end++;
                }
                var word = text[i..end];
                if (word.StartsWith("__", StringComparison.Ordinal))
                {
                    throw Error(option, text, i, $"names starting with __ are reserved, found {word}");
                }
                Append(word == "null" ? NullName : word, i);
                i = end;
            }
            else if (char.IsDigit(c))
            {
                // Numbers are copied whole so that the dot of 2.5 is not taken for the start of a path.
                var end = i;
                while (end < text.Length && (char.IsLetterOrDigit(text[end]) || (text[end] == '.' && end + 1 < text.Length && char.IsDigit(text[end + 1]))))
                {
                    end++;
                }
                Append(text[i..end], i);
                i = end;
            }
            else
            {
                Append(c.ToString(), i);
                i++;
            }
        }
        return new ConditionExpression(text, option, output.ToString(), [.. positions], [.. paths], [.. pathTexts], [.. literals]);
    }

    /// <summary>A dot starts a path where a value is expected: not right after a name, a number or a closing bracket.</summary>
    private static bool StartsValue(StringBuilder output)
    {
        for (var i = output.Length - 1; i >= 0; i--)
        {
            var c = output[i];
            if (!char.IsWhiteSpace(c))
            {
                return !(char.IsLetterOrDigit(c) || c is '_' or ')' or ']');
            }
        }
        return true;
    }

    /// <summary>The end of the path starting at <paramref name="start"/>, using the key characters FieldPath accepts.</summary>
    private static int PathEnd(string text, int start)
    {
        var i = start + 1;
        while (true)
        {
            if (i < text.Length && text[i] == '"')
            {
                var close = ClosingQuote(text, i);
                i = close < 0 ? text.Length : close + 1;
            }
            else
            {
                while (i < text.Length && IsKeyChar(text[i]))
                {
                    i++;
                }
            }
            while (i < text.Length && text[i] == '[')
            {
                var close = text.IndexOf(']', i);
                if (close < 0)
                {
                    return text.Length;
                }
                i = close + 1;
            }
            // A dot right after a path always continues it, so that ".a..b" or ".a." reach FieldPath's own error.
            if (i < text.Length && text[i] == '.')
            {
                i++;
                continue;
            }
            return i;
        }
    }

    private static bool IsKeyChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '-' or '@' or '$';

    private static int ClosingQuote(string text, int open)
    {
        for (var i = open + 1; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == '"')
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Escapes (\" \\ \n \t …) are decoded by DynamicExpresso itself, so literals mean what they mean in C#.</summary>
    private static string Unescape(string quoted, string option, string text, int position)
    {
        try
        {
            return new Interpreter(InterpreterOptions.None).Eval<string>(quoted);
        }
        catch (ParseException ex)
        {
            throw Error(option, text, position, $"invalid string literal {quoted}: {AtIndexSuffix().Replace(ex.Message, "")}");
        }
    }

    /// <summary>
    /// Binds each generated parameter to a read of its path from the event, and compiles the patterns of
    /// <c>matches()</c> (reporting a bad regex at build time).
    /// </summary>
    private sealed class FieldBinder(ConditionExpression condition, ParameterExpression evt, Parameter[] parameters) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node)
        {
            for (var i = 0; i < parameters.Length; i++)
            {
                if (ReferenceEquals(parameters[i].Expression, node))
                {
                    return Expression.Call(FieldValue.ReadMethod, evt, Expression.Constant(condition._paths[i]));
                }
            }
            return base.VisitParameter(node);
        }

        protected override Expression VisitInvocation(InvocationExpression node)
        {
            if (node.Expression is ConstantExpression { Value: Delegate function } && function.Method == ExpressionFunctions.MatchesMethod
                && node.Arguments[1] is ConstantExpression { Value: StringLiteral pattern })
            {
                try
                {
                    pattern.CompileAsPattern();
                }
                catch (ArgumentException ex)
                {
                    var position = Math.Max(0, condition.Text.IndexOf(pattern.Text, StringComparison.Ordinal) - 1);
                    throw Error(condition._option, condition.Text, position, $"the pattern of matches() is not a valid regular expression: {ex.Message}", ex);
                }
            }
            return base.VisitInvocation(node);
        }
    }
}

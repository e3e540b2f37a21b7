using System.Reflection;
using DynamicExpresso;
using Pipeline.Events;

namespace Pipeline.Processors.Expressions;

/// <summary>
/// The functions a condition may call. Registered on the interpreter as strongly typed delegates, so the compiled
/// condition invokes them directly, without boxing. Semantics are in docs/expressions.md.
/// </summary>
internal static class ExpressionFunctions
{
    private static readonly Func<FieldValue, bool> ExistsFunction = Exists;
    private static readonly Func<FieldValue, StringLiteral, bool> ContainsLiteral = (v, s) => Text(v, s, TextOperation.Contains);
    private static readonly Func<FieldValue, FieldValue, bool> ContainsField = (v, s) => Text(v, s, TextOperation.Contains);
    private static readonly Func<FieldValue, StringLiteral, bool> StartsWithLiteral = (v, s) => Text(v, s, TextOperation.StartsWith);
    private static readonly Func<FieldValue, FieldValue, bool> StartsWithField = (v, s) => Text(v, s, TextOperation.StartsWith);
    private static readonly Func<FieldValue, StringLiteral, bool> EndsWithLiteral = (v, s) => Text(v, s, TextOperation.EndsWith);
    private static readonly Func<FieldValue, FieldValue, bool> EndsWithField = (v, s) => Text(v, s, TextOperation.EndsWith);
    private static readonly Func<FieldValue, StringLiteral, bool> MatchesFunction = Matches;
    private static readonly Func<FieldValue, FieldValue> LowerFunction = v => v.WithCase(TextCase.Lower);
    private static readonly Func<FieldValue, FieldValue> UpperFunction = v => v.WithCase(TextCase.Upper);
    private static readonly Func<FieldValue, FieldValue> LengthFunction = Length;

    /// <summary>The method behind <c>matches()</c>, so the compiler can find its pattern literals and compile them once.</summary>
    internal static MethodInfo MatchesMethod { get; } = MatchesFunction.Method;

    internal static void Register(Interpreter interpreter)
    {
        interpreter.SetFunction("exists", ExistsFunction);
        interpreter.SetFunction("contains", ContainsLiteral);
        interpreter.SetFunction("contains", ContainsField);
        interpreter.SetFunction("starts_with", StartsWithLiteral);
        interpreter.SetFunction("starts_with", StartsWithField);
        interpreter.SetFunction("ends_with", EndsWithLiteral);
        interpreter.SetFunction("ends_with", EndsWithField);
        interpreter.SetFunction("matches", MatchesFunction);
        interpreter.SetFunction("lower", LowerFunction);
        interpreter.SetFunction("upper", UpperFunction);
        interpreter.SetFunction("length", LengthFunction);
    }

    private static bool Exists(FieldValue value) => value.Exists;

    private static bool Matches(FieldValue value, StringLiteral pattern) => value.Matches(pattern);

    private static bool Text(FieldValue value, StringLiteral literal, TextOperation operation)
        => FieldValue.TryRelate(value, literal, operation, out var result) && result != 0;

    private static bool Text(FieldValue value, FieldValue other, TextOperation operation)
        => FieldValue.TryRelate(value, other, operation, out var result) && result != 0;

    /// <summary>Characters (Unicode code points) of a string, elements of an array, fields of an object; otherwise missing.</summary>
    private static FieldValue Length(FieldValue value)
    {
        switch (value.Kind)
        {
            case EventValueKind.String when value.TryGetRawUtf8(out var utf8):
                // Every code point has exactly one byte that is not a UTF-8 continuation byte (10xxxxxx).
                var count = 0;
                foreach (var b in utf8)
                {
                    if ((b & 0xC0) != 0x80)
                    {
                        count++;
                    }
                }
                return FieldValue.Number(count);
            case EventValueKind.Array or EventValueKind.Object:
                return FieldValue.Number(value.Count);
            default:
                return FieldValue.Missing;
        }
    }
}

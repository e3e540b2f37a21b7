using System.Buffers;
using System.Reflection;
using System.Text;
using Pipeline.Events;

namespace Pipeline.Processors.Expressions;

/// <summary>
/// The value of a field path inside a condition. Its operators carry the condition language's semantics (see
/// docs/expressions.md), so DynamicExpresso compiles <c>.status >= 500</c> to a static call with no boxing:
/// <list type="bullet">
/// <item>a missing field behaves like <c>null</c>;</item>
/// <item>numbers compare numerically across integers and decimals; strings compare ordinally;</item>
/// <item>a type mismatch is not an error: every operator is false, except <c>!=</c>, which is always the negation of <c>==</c>.</item>
/// </list>
/// </summary>
public readonly struct FieldValue : IEquatable<FieldValue>
{
    private const int StackChars = 256;

    private readonly EventValue _value;
    private readonly long _computed;
    private readonly bool _isComputed;
    private readonly TextCase _case;

    private FieldValue(EventValue value, TextCase textCase)
    {
        _value = value;
        _case = textCase;
    }

    private FieldValue(long computed)
    {
        _value = EventValue.Missing;
        _computed = computed;
        _isComputed = true;
    }

    internal static MethodInfo ReadMethod { get; } = typeof(FieldValue).GetMethod(nameof(Read), BindingFlags.Public | BindingFlags.Static)!;

    internal static FieldValue Missing => new(EventValue.Missing, TextCase.None);

    public EventValueKind Kind => _isComputed ? EventValueKind.Number : _value.Kind;

    /// <summary>What each path of a compiled condition is bound to: one lookup, no allocation.</summary>
    public static FieldValue Read(Event evt, FieldPath path) => new(evt.Get(path), TextCase.None);

    internal static FieldValue Number(long value) => new(value);

    internal FieldValue WithCase(TextCase textCase) => _isComputed ? this : new(_value, textCase);

    internal bool Exists => _isComputed || !_value.IsMissing;

    internal bool IsNullOrMissing => !_isComputed && _value.Kind is EventValueKind.Missing or EventValueKind.Null;

    internal int Count => _value.Count;

    internal bool TryGetRawUtf8(out ReadOnlySpan<byte> utf8)
    {
        if (_isComputed)
        {
            utf8 = default;
            return false;
        }
        return _value.TryGetUtf8(out utf8);
    }

    public static bool operator ==(FieldValue a, FieldValue b) => Compare(a, b) == ValueOrder.Equal;
    public static bool operator !=(FieldValue a, FieldValue b) => Compare(a, b) != ValueOrder.Equal;
    public static bool operator <(FieldValue a, FieldValue b) => Compare(a, b) == ValueOrder.Less;
    public static bool operator >(FieldValue a, FieldValue b) => Compare(a, b) == ValueOrder.Greater;
    public static bool operator <=(FieldValue a, FieldValue b) => Compare(a, b) is ValueOrder.Less or ValueOrder.Equal;
    public static bool operator >=(FieldValue a, FieldValue b) => Compare(a, b) is ValueOrder.Greater or ValueOrder.Equal;

    public static bool operator ==(FieldValue a, StringLiteral b) => a.TextEquals(b);
    public static bool operator !=(FieldValue a, StringLiteral b) => !a.TextEquals(b);
    public static bool operator <(FieldValue a, StringLiteral b) => Compare(a, b) == ValueOrder.Less;
    public static bool operator >(FieldValue a, StringLiteral b) => Compare(a, b) == ValueOrder.Greater;
    public static bool operator <=(FieldValue a, StringLiteral b) => Compare(a, b) is ValueOrder.Less or ValueOrder.Equal;
    public static bool operator >=(FieldValue a, StringLiteral b) => Compare(a, b) is ValueOrder.Greater or ValueOrder.Equal;

    public static bool operator ==(StringLiteral a, FieldValue b) => b.TextEquals(a);
    public static bool operator !=(StringLiteral a, FieldValue b) => !b.TextEquals(a);
    public static bool operator <(StringLiteral a, FieldValue b) => Compare(b, a) == ValueOrder.Greater;
    public static bool operator >(StringLiteral a, FieldValue b) => Compare(b, a) == ValueOrder.Less;
    public static bool operator <=(StringLiteral a, FieldValue b) => Compare(b, a) is ValueOrder.Greater or ValueOrder.Equal;
    public static bool operator >=(StringLiteral a, FieldValue b) => Compare(b, a) is ValueOrder.Less or ValueOrder.Equal;

    public static bool operator ==(FieldValue a, long b) => Compare(a, b) == ValueOrder.Equal;
    public static bool operator !=(FieldValue a, long b) => Compare(a, b) != ValueOrder.Equal;
    public static bool operator <(FieldValue a, long b) => Compare(a, b) == ValueOrder.Less;
    public static bool operator >(FieldValue a, long b) => Compare(a, b) == ValueOrder.Greater;
    public static bool operator <=(FieldValue a, long b) => Compare(a, b) is ValueOrder.Less or ValueOrder.Equal;
    public static bool operator >=(FieldValue a, long b) => Compare(a, b) is ValueOrder.Greater or ValueOrder.Equal;

    public static bool operator ==(long a, FieldValue b) => Compare(b, a) == ValueOrder.Equal;
    public static bool operator !=(long a, FieldValue b) => Compare(b, a) != ValueOrder.Equal;
    public static bool operator <(long a, FieldValue b) => Compare(b, a) == ValueOrder.Greater;
    public static bool operator >(long a, FieldValue b) => Compare(b, a) == ValueOrder.Less;
    public static bool operator <=(long a, FieldValue b) => Compare(b, a) is ValueOrder.Greater or ValueOrder.Equal;
    public static bool operator >=(long a, FieldValue b) => Compare(b, a) is ValueOrder.Less or ValueOrder.Equal;

    public static bool operator ==(FieldValue a, double b) => Compare(a, b) == ValueOrder.Equal;
    public static bool operator !=(FieldValue a, double b) => Compare(a, b) != ValueOrder.Equal;
    public static bool operator <(FieldValue a, double b) => Compare(a, b) == ValueOrder.Less;
    public static bool operator >(FieldValue a, double b) => Compare(a, b) == ValueOrder.Greater;
    public static bool operator <=(FieldValue a, double b) => Compare(a, b) is ValueOrder.Less or ValueOrder.Equal;
    public static bool operator >=(FieldValue a, double b) => Compare(a, b) is ValueOrder.Greater or ValueOrder.Equal;

    public static bool operator ==(double a, FieldValue b) => Compare(b, a) == ValueOrder.Equal;
    public static bool operator !=(double a, FieldValue b) => Compare(b, a) != ValueOrder.Equal;
    public static bool operator <(double a, FieldValue b) => Compare(b, a) == ValueOrder.Greater;
    public static bool operator >(double a, FieldValue b) => Compare(b, a) == ValueOrder.Less;
    public static bool operator <=(double a, FieldValue b) => Compare(b, a) is ValueOrder.Greater or ValueOrder.Equal;
    public static bool operator >=(double a, FieldValue b) => Compare(b, a) is ValueOrder.Less or ValueOrder.Equal;

    public static bool operator ==(FieldValue a, bool b) => a.BooleanEquals(b);
    public static bool operator !=(FieldValue a, bool b) => !a.BooleanEquals(b);
    public static bool operator ==(bool a, FieldValue b) => b.BooleanEquals(a);
    public static bool operator !=(bool a, FieldValue b) => !b.BooleanEquals(a);

    public static bool operator ==(FieldValue a, NullLiteral b) => a.IsNullOrMissing;
    public static bool operator !=(FieldValue a, NullLiteral b) => !a.IsNullOrMissing;
    public static bool operator ==(NullLiteral a, FieldValue b) => b.IsNullOrMissing;
    public static bool operator !=(NullLiteral a, FieldValue b) => !b.IsNullOrMissing;

    public bool Equals(FieldValue other) => this == other;

    public override bool Equals(object? obj) => obj is FieldValue other && this == other;

    public override int GetHashCode() => (int)Kind;

    public override string ToString() => _isComputed ? _computed.ToString(System.Globalization.CultureInfo.InvariantCulture) : _value.ToString();

    internal static ValueOrder Compare(FieldValue a, long b)
    {
        if (a._isComputed)
        {
            return Order(a._computed.CompareTo(b));
        }
        if (a._value.TryGetInt64(out var integer))
        {
            return Order(integer.CompareTo(b));
        }
        return a._value.TryGetDouble(out var real) ? Order(real.CompareTo((double)b)) : ValueOrder.Unordered;
    }

    internal static ValueOrder Compare(FieldValue a, double b)
    {
        if (a._isComputed)
        {
            return Order(((double)a._computed).CompareTo(b));
        }
        return a._value.TryGetDouble(out var real) ? Order(real.CompareTo(b)) : ValueOrder.Unordered;
    }

    internal static ValueOrder Compare(FieldValue a, StringLiteral b)
        => TryRelate(a, b, TextOperation.Compare, out var order) ? Order(order) : ValueOrder.Unordered;

    internal static ValueOrder Compare(FieldValue a, FieldValue b)
    {
        var kindA = a.Kind;
        var kindB = b.Kind;
        if (a.IsNullOrMissing && b.IsNullOrMissing)
        {
            return ValueOrder.Equal;
        }
        if (kindA == EventValueKind.Number && kindB == EventValueKind.Number)
        {
            if (b._isComputed)
            {
                return Compare(a, b._computed);
            }
            if (b._value.TryGetInt64(out var integer))
            {
                return Compare(a, integer);
            }
            return b._value.TryGetDouble(out var real) ? Compare(a, real) : ValueOrder.Unordered;
        }
        if (kindA == EventValueKind.String && kindB == EventValueKind.String)
        {
            return TryRelate(a, b, TextOperation.Compare, out var order) ? Order(order) : ValueOrder.Unordered;
        }
        if (kindA == EventValueKind.Boolean && kindB == EventValueKind.Boolean
            && a._value.TryGetBoolean(out var boolA) && b._value.TryGetBoolean(out var boolB))
        {
            return boolA == boolB ? ValueOrder.Equal : ValueOrder.Unordered;
        }
        return ValueOrder.Unordered;
    }

    /// <summary>Relates a string field to a literal: by UTF-8 bytes when no case mapping applies, else by mapped chars.</summary>
    internal static bool TryRelate(FieldValue a, StringLiteral b, TextOperation operation, out int result)
    {
        result = 0;
        if (!a.TryGetRawUtf8(out var utf8))
        {
            return false;
        }
        if (a._case == TextCase.None)
        {
            result = Relate(utf8, b.Utf8, operation);
            return true;
        }
        char[]? rented = null;
        var buffer = utf8.Length <= StackChars ? stackalloc char[StackChars] : (rented = ArrayPool<char>.Shared.Rent(utf8.Length));
        try
        {
            result = Relate<char>(a.Decode(utf8, buffer), b.Text, operation);
            return true;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    internal static bool TryRelate(FieldValue a, FieldValue b, TextOperation operation, out int result)
    {
        result = 0;
        if (!a.TryGetRawUtf8(out var utf8A) || !b.TryGetRawUtf8(out var utf8B))
        {
            return false;
        }
        if (a._case == TextCase.None && b._case == TextCase.None)
        {
            result = Relate(utf8A, utf8B, operation);
            return true;
        }
        char[]? rentedA = null;
        char[]? rentedB = null;
        var bufferA = utf8A.Length <= StackChars ? stackalloc char[StackChars] : (rentedA = ArrayPool<char>.Shared.Rent(utf8A.Length));
        var bufferB = utf8B.Length <= StackChars ? stackalloc char[StackChars] : (rentedB = ArrayPool<char>.Shared.Rent(utf8B.Length));
        try
        {
            result = Relate<char>(a.Decode(utf8A, bufferA), b.Decode(utf8B, bufferB), operation);
            return true;
        }
        finally
        {
            if (rentedA is not null)
            {
                ArrayPool<char>.Shared.Return(rentedA);
            }
            if (rentedB is not null)
            {
                ArrayPool<char>.Shared.Return(rentedB);
            }
        }
    }

    /// <summary>Runs a regex over the (case-mapped) text; false for anything that is not a string.</summary>
    internal bool Matches(StringLiteral pattern)
    {
        var regex = pattern.Pattern ?? throw new InvalidOperationException($"the pattern \"{pattern.Text}\" was not compiled");
        if (!TryGetRawUtf8(out var utf8))
        {
            return false;
        }
        char[]? rented = null;
        var buffer = utf8.Length <= StackChars ? stackalloc char[StackChars] : (rented = ArrayPool<char>.Shared.Rent(utf8.Length));
        try
        {
            return regex.IsMatch(Decode(utf8, buffer));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private bool TextEquals(StringLiteral literal)
    {
        if (_isComputed)
        {
            return false;
        }
        // The common case goes straight to the store's byte comparison, which allocates nothing.
        return _case == TextCase.None
            ? _value.Utf8Equals(literal.Utf8)
            : TryRelate(this, literal, TextOperation.Compare, out var order) && order == 0;
    }

    private bool BooleanEquals(bool b) => !_isComputed && _value.TryGetBoolean(out var mine) && mine == b;

    /// <summary>Decodes UTF-8 into <paramref name="buffer"/> (at least as long as the bytes) and applies the case mapping.</summary>
    private ReadOnlySpan<char> Decode(ReadOnlySpan<byte> utf8, Span<char> buffer)
    {
        var chars = buffer[..Encoding.UTF8.GetChars(utf8, buffer)];
        switch (_case)
        {
            case TextCase.Lower:
                for (var i = 0; i < chars.Length; i++)
                {
                    chars[i] = char.ToLowerInvariant(chars[i]);
                }
                break;
            case TextCase.Upper:
                for (var i = 0; i < chars.Length; i++)
                {
                    chars[i] = char.ToUpperInvariant(chars[i]);
                }
                break;
        }
        return chars;
    }

    private static int Relate<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, TextOperation operation)
        where T : IEquatable<T>, IComparable<T> => operation switch
        {
            TextOperation.Compare => a.SequenceCompareTo(b),
            TextOperation.Contains => a.IndexOf(b) >= 0 ? 1 : 0,
            TextOperation.StartsWith => a.StartsWith(b) ? 1 : 0,
            TextOperation.EndsWith => a.EndsWith(b) ? 1 : 0,
            _ => throw new ArgumentOutOfRangeException(nameof(operation)),
        };

    private static ValueOrder Order(int comparison) => comparison switch
    {
        < 0 => ValueOrder.Less,
        0 => ValueOrder.Equal,
        _ => ValueOrder.Greater,
    };
}

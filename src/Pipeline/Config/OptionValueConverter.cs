using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Pipeline.Components;
using Pipeline.Events;

namespace Pipeline.Config;

/// <summary>
/// Converts a YAML node to an option's property type, reporting what was expected and what was found at the node's
/// mark. The supported types are the ones <see cref="OptionAttribute"/> documents.
/// </summary>
internal static class OptionValueConverter
{
    /// <param name="subject">Names the value in errors, e.g. <c>option 'mailbox' of stage 'parse'</c>.</param>
    public static bool TryConvert(ConfigNode node, Type type, string subject, List<ConfigError> errors, out object? value)
    {
        value = null;
        if (node is ConfigScalar { HasReportedError: true })
        {
            return false;
        }
        var underlying = Nullable.GetUnderlyingType(type);
        var target = underlying ?? type;
        if (node is ConfigScalar { IsNull: true })
        {
            // Only Nullable<T> can say "no value" explicitly; for anything else, leaving the option out gives its default.
            if (underlying is not null)
            {
                return true;
            }
            errors.Add(new ConfigError(node.Mark, $"{subject}: expected {ExpectedText(target)}, found null (leave the option out to use its default)"));
            return false;
        }
        if (target.IsGenericType && target.GetGenericTypeDefinition() == typeof(List<>))
        {
            return TryConvertList(node, target, subject, errors, out value);
        }
        if (target.IsGenericType && target.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            return TryConvertDictionary(node, target, subject, errors, out value);
        }
        if (ComponentDescriptor.IsSettingsBlock(target))
        {
            return TryConvertSettingsBlock(node, target, subject, errors, out value);
        }
        if (node is not ConfigScalar scalar)
        {
            return Fail(node, subject, ExpectedText(target), errors);
        }
        var text = scalar.Value;
        if (target == typeof(string))
        {
            value = text;
            return true;
        }
        if (target == typeof(int))
        {
            return Parsed(int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i), i, scalar, subject, "an integer", errors, out value);
        }
        if (target == typeof(long))
        {
            return Parsed(long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l), l, scalar, subject, "an integer", errors, out value);
        }
        if (target == typeof(double))
        {
            return Parsed(double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d), d, scalar, subject, "a number", errors, out value);
        }
        if (target == typeof(bool))
        {
            var ok = text is "true" or "false" or "True" or "False" or "TRUE" or "FALSE";
            return Parsed(ok, ok && bool.Parse(text), scalar, subject, "true or false", errors, out value);
        }
        if (target == typeof(TimeSpan))
        {
            return Parsed(DurationText.TryParse(text, out var ts), ts, scalar, subject, DurationText.Expected, errors, out value);
        }
        if (target == typeof(ByteSize))
        {
            return Parsed(ByteSize.TryParse(text, out var size), size, scalar, subject, "a byte size such as 512, 64KiB or 10MiB", errors, out value);
        }
        if (target == typeof(FieldPath))
        {
            if (FieldPath.TryParse(text, out var path, out var pathError))
            {
                value = path;
                return true;
            }
            errors.Add(new ConfigError(scalar.Mark, $"{subject}: expected a field path such as .message or .user.id, found '{text}': {pathError}"));
            return false;
        }
        if (target.IsEnum)
        {
            return TryConvertEnum(scalar, target, subject, errors, out value);
        }
        errors.Add(new ConfigError(node.Mark, $"{subject}: the option type {target.Name} is not supported by the config binder"));
        return false;
    }

    /// <summary>"an integer", "a list of field paths"... as used in "expected ..." messages.</summary>
    // A settings block is an option type of the service's own assembly, which the publish keeps whole (TrimMode=partial):
    // its properties are there. Without this the trimmed publish (Dockerfile, publish profiles) fails on IL2067.
    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "Settings blocks live in the service's assembly, which is not trimmed.")]
    public static string ExpectedText(Type type)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target.IsEnum)
        {
            return "one of " + string.Join(", ", EnumNames(target));
        }
        if (target.IsGenericType && target.GetGenericTypeDefinition() == typeof(List<>))
        {
            return "a list of " + Plural(ExpectedText(target.GetGenericArguments()[0]));
        }
        if (target.IsGenericType && target.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            return "a mapping of names to " + Plural(ExpectedText(target.GetGenericArguments()[1]));
        }
        return target.Name switch
        {
            "String" => "a string",
            "Int32" or "Int64" => "an integer",
            "Int16" or "UInt16" or "UInt32" or "UInt64" or "Byte" => "a whole number",
            "Double" or "Single" or "Decimal" => "a number",
            "Boolean" => "true or false",
            "TimeSpan" => DurationText.Expected,
            "ByteSize" => "a byte size such as 512, 64KiB or 10MiB",
            "FieldPath" => "a field path such as .message",
            _ when ComponentDescriptor.IsSettingsBlock(target) => "a mapping of " + string.Join(", ", ComponentDescriptor.OptionsOf(target).Select(o => o.Name)),
            // Never a .NET type name: an option type added without its own words still reads as a noun.
            _ => "a " + ComponentDescriptor.ToSnakeCase(target.Name).Replace('_', ' '),
        };
    }

    public static IEnumerable<string> EnumNames(Type enumType) => Enum.GetNames(enumType).Select(ComponentDescriptor.ToSnakeCase);

    private static bool TryConvertEnum(ConfigScalar scalar, Type enumType, string subject, List<ConfigError> errors, out object? value)
    {
        value = null;
        foreach (var name in Enum.GetNames(enumType))
        {
            if (ComponentDescriptor.ToSnakeCase(name) == scalar.Value)
            {
                value = Enum.Parse(enumType, name);
                return true;
            }
        }
        var names = EnumNames(enumType).ToArray();
        errors.Add(new ConfigError(
            scalar.Mark,
            $"{subject}: expected one of {string.Join(", ", names)}, found '{scalar.Value}'",
            SpellingSuggestion.Closest(scalar.Value, names)));
        return false;
    }

    // The list and dictionary types are the closed generic types that option properties declare (List<string>,
    // Dictionary<string, string>...); their parameterless constructors are code the framework calls everywhere, so a
    // trimmed publish keeps them.
    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "List<T> and Dictionary<string, T> constructors are always kept.")]
    private static bool TryConvertList(ConfigNode node, Type listType, string subject, List<ConfigError> errors, out object? value)
    {
        value = null;
        if (node is not ConfigSequence sequence)
        {
            return Fail(node, subject, ExpectedText(listType), errors);
        }
        var elementType = listType.GetGenericArguments()[0];
        var list = (System.Collections.IList)Activator.CreateInstance(listType)!;
        var ok = true;
        for (var i = 0; i < sequence.Items.Count; i++)
        {
            if (TryConvert(sequence.Items[i], elementType, $"{subject}, item {i + 1}", errors, out var item))
            {
                list.Add(item);
            }
            else
            {
                ok = false;
            }
        }
        value = list;
        return ok;
    }

    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "As TryConvertList.")]
    private static bool TryConvertDictionary(ConfigNode node, Type dictionaryType, string subject, List<ConfigError> errors, out object? value)
    {
        value = null;
        var arguments = dictionaryType.GetGenericArguments();
        if (node is not ConfigMapping mapping || arguments[0] != typeof(string))
        {
            return Fail(node, subject, ExpectedText(dictionaryType), errors);
        }
        var dictionary = (System.Collections.IDictionary)Activator.CreateInstance(dictionaryType)!;
        var ok = true;
        foreach (var (key, itemNode) in mapping.Entries)
        {
            if (TryConvert(itemNode, arguments[1], $"{subject}, key '{key.Value}'", errors, out var item))
            {
                dictionary[key.Value] = item;
            }
            else
            {
                ok = false;
            }
        }
        value = dictionary;
        return ok;
    }

    /// <summary>
    /// A block of options of its own, such as <c>tls:</c> or <c>auth:</c>: a mapping bound like a component's options,
    /// with the same unknown-key, required-option and type errors, named <c>tls.cert_file</c> and the like.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2067", Justification = "Settings blocks are the service's own types, kept whole (docs/performance.md).")]
    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "As above.")]
    private static bool TryConvertSettingsBlock(ConfigNode node, Type blockType, string subject, List<ConfigError> errors, out object? value)
    {
        value = null;
        if (node is not ConfigMapping mapping)
        {
            return Fail(node, subject, ExpectedText(blockType), errors);
        }
        var block = Activator.CreateInstance(blockType)!;
        var options = ComponentDescriptor.OptionsOf(blockType);
        var ok = true;
        var misspelt = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, itemNode) in mapping.Entries)
        {
            var option = options.FirstOrDefault(o => o.Name == key.Value);
            if (option is null)
            {
                var names = options.Select(o => o.Name).ToList();
                var suggestion = SpellingSuggestion.Closest(key.Value, names);
                errors.Add(new ConfigError(
                    key.Mark,
                    $"{Nested(subject, key.Value)}: unknown option (expected one of {string.Join(", ", names)})",
                    suggestion));
                if (suggestion is not null)
                {
                    misspelt.Add(suggestion);
                }
                ok = false;
                continue;
            }
            if (TryConvert(itemNode, option.Property.PropertyType, Nested(subject, option.Name), errors, out var item))
            {
                option.Property.SetValue(block, item);
            }
            else
            {
                ok = false;
            }
        }
        // As for a component: a typo's error already explains the missing option it was meant to be.
        foreach (var option in options.Where(o => o.Required && !mapping.TryGet(o.Name, out _, out _) && !misspelt.Contains(o.Name)))
        {
            errors.Add(new ConfigError(mapping.Mark, $"{Nested(subject, option.Name)}: missing required option (expected {ExpectedText(option.Property.PropertyType)})"));
            ok = false;
        }
        value = ok ? block : null;
        return ok;
    }

    /// <summary>"option 'tls'" and "cert_file" make "option 'tls.cert_file'"; a subject without quotes gets ".cert_file".</summary>
    private static string Nested(string subject, string name)
        => subject.EndsWith('\'') ? $"{subject[..^1]}.{name}'" : $"{subject}.{name}";

    private static bool Parsed<T>(bool ok, T parsed, ConfigScalar scalar, string subject, string expected, List<ConfigError> errors, out object? value)
    {
        value = ok ? parsed : null;
        return ok || Fail(scalar, subject, expected, errors);
    }

    private static bool Fail(ConfigNode node, string subject, string expected, List<ConfigError> errors)
    {
        errors.Add(new ConfigError(node.Mark, $"{subject}: expected {expected}, found {node.Describe()}"));
        return false;
    }

    private static string Plural(string expected) => expected switch
    {
        "a string" => "strings",
        "an integer" => "integers",
        "a number" => "numbers",
        "true or false" => "booleans",
        "a field path such as .message" => "field paths",
        _ => expected,
    };
}

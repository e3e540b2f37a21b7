using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Pipeline.Config;

/// <summary>
/// Turns YAML text into a <see cref="ConfigNode"/> tree from YamlDotNet's event parser, so every node keeps its start
/// mark and a duplicate key is one reported error rather than the end of parsing.
/// </summary>
internal sealed class ConfigYamlReader
{
    private readonly string _file;
    private readonly List<ConfigError> _errors;
    private readonly Dictionary<string, ConfigNode> _anchors = new(StringComparer.Ordinal);
    private readonly Scanner _scanner;
    private readonly IParser _parser;

    private ConfigYamlReader(string yaml, string file, List<ConfigError> errors)
    {
        _file = file;
        _errors = errors;
        _scanner = new Scanner(new StringReader(yaml), skipComments: true);
        _parser = new Parser(_scanner);
    }

    /// <summary>The root node, or null when the text is empty or not valid YAML (the reason is in <paramref name="errors"/>).</summary>
    public static ConfigNode? Read(string yaml, string file, List<ConfigError> errors)
    {
        var reader = new ConfigYamlReader(yaml, file, errors);
        try
        {
            return reader.ReadStream();
        }
        catch (YamlException e)
        {
            errors.Add(new ConfigError(reader.ToMark(e.Start), "invalid YAML: " + OneLine(e.Message)));
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this (not a YamlException) on some malformed input, such as an unclosed
            // flow mapping; where it stopped is the best mark there is.
            errors.Add(new ConfigError(reader.ToMark(reader._scanner.CurrentPosition), "invalid YAML: the parser could not read past this point (is a bracket or quote left open?)"));
            return null;
        }
    }

    private ConfigNode? ReadStream()
    {
        _parser.Consume<StreamStart>();
        if (_parser.TryConsume<StreamEnd>(out _))
        {
            return null;
        }
        _parser.Consume<DocumentStart>();
        var root = ReadNode();
        _parser.Consume<DocumentEnd>();
        if (_parser.Accept<DocumentStart>(out var second))
        {
            _errors.Add(new ConfigError(ToMark(second.Start), "expected a single YAML document, found a second one"));
        }
        return root;
    }

    private ConfigNode ReadNode()
    {
        if (_parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (_anchors.TryGetValue(alias.Value.Value, out var target))
            {
                return target;
            }
            throw new AnchorNotFoundException(alias.Start, alias.End, $"alias *{alias.Value} refers to no anchor");
        }
        if (_parser.TryConsume<Scalar>(out var scalar))
        {
            var node = new ConfigScalar(ToMark(scalar.Start), scalar.Value, scalar.Style == ScalarStyle.Plain);
            Remember(scalar.Anchor, node);
            return node;
        }
        if (_parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            var sequence = new ConfigSequence(ToMark(sequenceStart.Start));
            Remember(sequenceStart.Anchor, sequence);
            while (!_parser.TryConsume<SequenceEnd>(out _))
            {
                sequence.Items.Add(ReadNode());
            }
            return sequence;
        }
        var mappingStart = _parser.Consume<MappingStart>();
        var mapping = new ConfigMapping(ToMark(mappingStart.Start));
        Remember(mappingStart.Anchor, mapping);
        var seen = new Dictionary<string, SourceMark>(StringComparer.Ordinal);
        while (!_parser.TryConsume<MappingEnd>(out _))
        {
            var keyNode = ReadNode();
            var value = ReadNode();
            if (keyNode is not ConfigScalar key)
            {
                _errors.Add(new ConfigError(keyNode.Mark, $"expected a plain key, found {keyNode.Describe()}"));
                continue;
            }
            if (seen.TryGetValue(key.Value, out var first))
            {
                _errors.Add(new ConfigError(key.Mark, $"duplicate key '{key.Value}': it is already defined at line {first.Line}, column {first.Column} (expected each key once)"));
                continue;
            }
            seen.Add(key.Value, key.Mark);
            mapping.Entries.Add(new KeyValuePair<ConfigScalar, ConfigNode>(key, value));
        }
        return mapping;
    }

    private void Remember(AnchorName anchor, ConfigNode node)
    {
        if (!anchor.IsEmpty)
        {
            _anchors[anchor.Value] = node;
        }
    }

    private SourceMark ToMark(Mark mark) => new(_file, (int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}

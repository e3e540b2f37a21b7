using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Pipeline.Config;

/// <summary>
/// Turns YAML text into a <see cref="ConfigNode"/> tree from YamlDotNet's event parser, so every node keeps its start
/// mark and a duplicate key is one reported error rather than the end of parsing.
/// </summary>
/// <remarks>
/// An alias shares its anchor's node, so the tree is a graph that can stand for an exponentially large document
/// ("billion laughs": ten levels of nine aliases each are 9^10 nodes to walk). The reader counts every node as if
/// each alias were a copy of its anchor and stops at <see cref="MaxExpandedNodes"/>; it also stops at
/// <see cref="MaxDepth"/> levels of nesting, because reading a node is recursive and a stack overflow would end the
/// process without a word. YamlDotNet's own scanner and parser keep explicit stacks, so these bounds come first.
/// </remarks>
internal sealed class ConfigYamlReader
{
    /// <summary>
    /// The most nodes a document may expand to, aliases counted as copies. The shipped configs are a few hundred
    /// nodes and a generated topology of a few hundred components stays far below; every walk of 100,000 nodes
    /// (interpolation, binding) takes milliseconds.
    /// </summary>
    public const long MaxExpandedNodes = 100_000;

    /// <summary>
    /// The deepest nesting of mappings and lists. A topology needs about six levels (sinks, id, option, value...);
    /// 64 leaves room for any option's own structure and keeps recursion far from the end of a thread's stack.
    /// </summary>
    public const int MaxDepth = 64;

    private readonly string _file;
    private readonly List<ConfigError> _errors;

    // Every anchor by name, with the node count its alias adds; a count of -1 while the anchored node is still being
    // read, so an alias inside its own anchor (a cycle) is reported instead of looping forever.
    private readonly Dictionary<string, (ConfigNode Node, long ExpandedSize)> _anchors = new(StringComparer.Ordinal);
    private readonly Scanner _scanner;
    private readonly IParser _parser;

    // Nodes read so far with aliases counted as copies: the document's expanded size once reading ends.
    private long _expandedNodes;

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
            errors.Add(YamlSyntaxError.Explain(yaml, reader.ToMark(e.Start), e.Message));
            return null;
        }
        catch (YamlLimitException e)
        {
            errors.Add(e.Error);
            return null;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this (not a YamlException) on some malformed input, such as an unclosed
            // flow mapping; where it stopped is the best mark there is.
            errors.Add(YamlSyntaxError.Explain(yaml, reader.ToMark(reader._scanner.CurrentPosition), parserMessage: null));
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
        var root = ReadNode(depth: 0, out _);
        _parser.Consume<DocumentEnd>();
        if (_parser.Accept<DocumentStart>(out var second))
        {
            _errors.Add(new ConfigError(ToMark(second.Start), "expected a single YAML document, found a second one"));
        }
        return root;
    }

    /// <param name="depth">How many mappings and lists enclose the node.</param>
    /// <param name="expandedSize">The node's size with aliases counted as copies of their anchors.</param>
    private ConfigNode ReadNode(int depth, out long expandedSize)
    {
        if (_parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (!_anchors.TryGetValue(alias.Value.Value, out var target))
            {
                throw new AnchorNotFoundException(alias.Start, alias.End, $"alias *{alias.Value} refers to no anchor");
            }
            if (target.ExpandedSize < 0)
            {
                throw new YamlLimitException(new ConfigError(ToMark(alias.Start),
                    $"alias *{alias.Value} stands inside the node its anchor &{alias.Value} names (expected an alias to a node defined before it, found a cycle)"));
            }
            expandedSize = target.ExpandedSize;
            Count(expandedSize, alias.Start, alias.Value.Value);
            return target.Node;
        }
        if (_parser.TryConsume<Scalar>(out var scalar))
        {
            var node = new ConfigScalar(ToMark(scalar.Start), scalar.Value, scalar.Style == ScalarStyle.Plain, ContentColumn(scalar));
            expandedSize = 1;
            Count(expandedSize, scalar.Start);
            Remember(scalar.Anchor, node, expandedSize);
            return node;
        }
        if (_parser.Accept<NodeEvent>(out var start) && depth >= MaxDepth)
        {
            throw new YamlLimitException(new ConfigError(ToMark(start.Start),
                $"the YAML nests too deep (expected mappings and lists nested at most {MaxDepth} levels deep, found level {depth + 1} here)"));
        }
        if (_parser.TryConsume<SequenceStart>(out var sequenceStart))
        {
            var sequence = new ConfigSequence(ToMark(sequenceStart.Start));
            Count(1, sequenceStart.Start);
            Remember(sequenceStart.Anchor, sequence, expandedSize: -1);
            expandedSize = 1;
            while (!_parser.TryConsume<SequenceEnd>(out _))
            {
                sequence.Items.Add(ReadNode(depth + 1, out var itemSize));
                expandedSize += itemSize;
            }
            Remember(sequenceStart.Anchor, sequence, expandedSize);
            return sequence;
        }
        var mappingStart = _parser.Consume<MappingStart>();
        var mapping = new ConfigMapping(ToMark(mappingStart.Start));
        Count(1, mappingStart.Start);
        Remember(mappingStart.Anchor, mapping, expandedSize: -1);
        expandedSize = 1;
        var seen = new Dictionary<string, SourceMark>(StringComparer.Ordinal);
        while (!_parser.TryConsume<MappingEnd>(out _))
        {
            var keyNode = ReadNode(depth + 1, out var keySize);
            var value = ReadNode(depth + 1, out var valueSize);
            expandedSize += keySize + valueSize;
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
        Remember(mappingStart.Anchor, mapping, expandedSize);
        return mapping;
    }

    /// <summary>Adds <paramref name="nodes"/> to the document's expanded size and stops reading once it passes the bound.</summary>
    /// <param name="alias">The alias that added them, if one did.</param>
    private void Count(long nodes, Mark at, string? alias = null)
    {
        // Every anchored size is at most the running total, itself at most the bound: no overflow.
        _expandedNodes += nodes;
        if (_expandedNodes > MaxExpandedNodes)
        {
            throw new YamlLimitException(new ConfigError(ToMark(at),
                $"the document is too large with its aliases expanded (expected at most {MaxExpandedNodes:N0} YAML nodes, each alias counted as a copy of its anchor; found {_expandedNodes:N0} {(alias is null ? "at this node" : $"with this alias *{alias}, a copy of {nodes:N0} nodes")})"));
        }
    }

    /// <summary>
    /// The column of the scalar's first character when the text spans exactly its value on one line (escapes and
    /// folded line breaks make the source longer than the value, so equal lengths mean one to one).
    /// </summary>
    private static int? ContentColumn(Scalar scalar)
    {
        var quotes = scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted ? 1 : 0;
        var plainOrQuoted = quotes == 1 || scalar.Style == ScalarStyle.Plain;
        return plainOrQuoted && scalar.Start.Line == scalar.End.Line && scalar.End.Column - scalar.Start.Column == scalar.Value.Length + 2 * quotes
            ? (int)scalar.Start.Column + quotes
            : null;
    }

    private void Remember(AnchorName anchor, ConfigNode node, long expandedSize)
    {
        if (!anchor.IsEmpty)
        {
            _anchors[anchor.Value] = (node, expandedSize);
        }
    }

    private SourceMark ToMark(Mark mark) => new(_file, (int)Math.Max(1, mark.Line), (int)Math.Max(1, mark.Column));
}

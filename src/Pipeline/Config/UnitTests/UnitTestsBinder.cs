using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Processors.Expressions;

namespace Pipeline.Config.UnitTests;

/// <summary>
/// Binds <c>tests:</c> (in the topology file or a side file) against the topology's stages, reporting every mistake
/// at its line and column as the rest of the config is: an unknown stage, a named output the stage does not have, a
/// condition that does not compile.
/// </summary>
internal sealed class UnitTestsBinder
{
    public const string Key = "tests";

    private static readonly string[] TestKeys = ["name", "inputs", "outputs", "no_outputs_from", "dead_lettered"];
    private static readonly string[] InputKeys = ["insert_at", "event", "events"];
    private static readonly string[] OutputKeys = ["extract_from", "count", "conditions"];
    private static readonly string[] ConditionKeys = ["field", "equals", "exists", "matches", "contains"];

    /// <summary>A test's regex runs on one event's field; a pattern that backtracks for longer is a mistake to report.</summary>
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);

    private readonly IReadOnlyDictionary<string, (ComponentKind Kind, IProcessorFactory? Factory)> _components;
    private readonly List<ConfigError> _errors;

    private UnitTestsBinder(IReadOnlyDictionary<string, (ComponentKind Kind, IProcessorFactory? Factory)> components, List<ConfigError> errors)
    {
        _components = components;
        _errors = errors;
    }

    /// <param name="components">Every component by id, with a stage's built factory (null when its build failed).</param>
    public static List<ConfigUnitTest> Bind(ConfigNode node, IReadOnlyDictionary<string, (ComponentKind Kind, IProcessorFactory? Factory)> components, List<ConfigError> errors)
    {
        var binder = new UnitTestsBinder(components, errors);
        var tests = new List<ConfigUnitTest>();
        if (node is ConfigScalar { IsNull: true })
        {
            return tests;
        }
        if (node is not ConfigSequence sequence)
        {
            errors.Add(new ConfigError(node.Mark, $"'tests': expected a list of tests (- name: ..., inputs: ..., outputs: ...), found {node.Describe()}"));
            return tests;
        }
        var names = new Dictionary<string, SourceMark>(StringComparer.Ordinal);
        foreach (var item in sequence.Items)
        {
            if (binder.BindTest(item) is { } test)
            {
                if (names.TryGetValue(test.Name, out var first))
                {
                    errors.Add(new ConfigError(test.Mark, $"duplicate test name '{test.Name}': it is already the test at line {first.Line}, column {first.Column}"));
                    continue;
                }
                names.Add(test.Name, test.Mark);
                tests.Add(test);
            }
        }
        return tests;
    }

    private ConfigUnitTest? BindTest(ConfigNode node)
    {
        if (!ExpectMapping(node, "a test", TestKeys, out var mapping))
        {
            return null;
        }
        var errorsBefore = _errors.Count;
        string? name = null;
        if (!mapping.TryGet("name", out _, out var nameNode))
        {
            _errors.Add(new ConfigError(mapping.Mark, "a test: missing required key 'name'"));
        }
        else if (nameNode is ConfigScalar { IsNull: false } nameScalar)
        {
            name = nameScalar.Value;
        }
        else
        {
            _errors.Add(new ConfigError(nameNode.Mark, $"'name': expected the test's name, found {nameNode.Describe()}"));
        }
        var subject = name is null ? "a test" : $"test '{name}'";

        var inputs = new List<UnitTestInput>();
        if (!mapping.TryGet("inputs", out _, out var inputsNode) || inputsNode is not ConfigSequence { Items.Count: > 0 } inputList)
        {
            _errors.Add(new ConfigError(inputsNode?.Mark ?? mapping.Mark, $"{subject}: expected 'inputs:' with at least one '- insert_at: <stage>' and its event(s)"));
        }
        else
        {
            foreach (var input in inputList.Items)
            {
                if (BindInput(input) is { } bound)
                {
                    inputs.Add(bound);
                }
            }
        }

        var outputs = new List<UnitTestOutput>();
        var hasOutputs = mapping.TryGet("outputs", out _, out var outputsNode);
        if (hasOutputs)
        {
            if (outputsNode is ConfigSequence outputList)
            {
                foreach (var output in outputList.Items)
                {
                    if (BindOutput(output) is { } bound)
                    {
                        outputs.Add(bound);
                    }
                }
            }
            else
            {
                _errors.Add(new ConfigError(outputsNode.Mark, $"'outputs': expected a list of '- extract_from: <stage>' entries, found {outputsNode.Describe()}"));
            }
        }

        var silent = new List<InputReference>();
        var hasSilent = mapping.TryGet("no_outputs_from", out _, out var silentNode);
        if (hasSilent)
        {
            foreach (var reference in Scalars(silentNode, "no_outputs_from"))
            {
                if (BindStageOutput(reference, "no_outputs_from") is { } bound)
                {
                    silent.Add(bound);
                }
            }
        }
        if (!hasOutputs && !hasSilent)
        {
            _errors.Add(new ConfigError(mapping.Mark, $"{subject}: expected 'outputs:' or 'no_outputs_from:', found neither, so the test could not fail"));
        }

        var deadLettered = 0;
        var deadLetteredMark = mapping.Mark;
        if (mapping.TryGet("dead_lettered", out _, out var deadNode))
        {
            deadLetteredMark = deadNode.Mark;
            if (deadNode is not ConfigScalar deadScalar || !int.TryParse(deadScalar.Value, out deadLettered) || deadLettered < 0)
            {
                _errors.Add(new ConfigError(deadNode.Mark, $"'dead_lettered': expected how many inserted events fail in a stage (a whole number, 0 or more), found {deadNode.Describe()}"));
            }
        }
        return _errors.Count > errorsBefore || name is null
            ? null
            : new ConfigUnitTest(name, mapping.Mark, inputs, outputs, silent, deadLettered, deadLetteredMark);
    }

    private UnitTestInput? BindInput(ConfigNode node)
    {
        if (!ExpectMapping(node, "a test input", InputKeys, out var mapping))
        {
            return null;
        }
        string? stage = null;
        if (!mapping.TryGet("insert_at", out _, out var insertNode))
        {
            _errors.Add(new ConfigError(mapping.Mark, "a test input: missing required key 'insert_at' (the stage that receives the events)"));
        }
        else if (insertNode is ConfigScalar insertScalar)
        {
            stage = CheckStage(insertScalar, "insert_at", allowOutput: false)?.ComponentId;
        }
        else
        {
            _errors.Add(new ConfigError(insertNode.Mark, $"'insert_at': expected a stage id, found {insertNode.Describe()}"));
        }

        var events = new List<string>();
        var hasOne = mapping.TryGet("event", out _, out var one);
        var hasMany = mapping.TryGet("events", out _, out var many);
        if (hasOne == hasMany)
        {
            _errors.Add(new ConfigError(mapping.Mark, $"a test input: expected exactly one of 'event: {{...}}' or 'events: [...]', found {(hasOne ? "both" : "neither")}"));
        }
        else if (hasOne)
        {
            AddEvent(one, events);
        }
        else if (many is ConfigSequence list && list.Items.Count > 0)
        {
            foreach (var item in list.Items)
            {
                AddEvent(item, events);
            }
        }
        else
        {
            _errors.Add(new ConfigError(many.Mark, $"'events': expected a list of events (mappings), found {many.Describe()}"));
        }
        return stage is null ? null : new UnitTestInput(stage, events, mapping.Mark);
    }

    private void AddEvent(ConfigNode node, List<string> events)
    {
        if (node is not ConfigMapping)
        {
            _errors.Add(new ConfigError(node.Mark, $"an input event: expected a mapping of fields ({{ level: error, message: ... }}), found {node.Describe()}"));
            return;
        }
        events.Add(YamlJson.ToJson(node));
    }

    private UnitTestOutput? BindOutput(ConfigNode node)
    {
        if (!ExpectMapping(node, "a test output", OutputKeys, out var mapping))
        {
            return null;
        }
        InputReference? from = null;
        if (!mapping.TryGet("extract_from", out _, out var fromNode))
        {
            _errors.Add(new ConfigError(mapping.Mark, "a test output: missing required key 'extract_from' (a stage, or stage.output)"));
        }
        else if (fromNode is ConfigScalar fromScalar)
        {
            from = BindStageOutput(fromScalar, "extract_from");
        }
        else
        {
            _errors.Add(new ConfigError(fromNode.Mark, $"'extract_from': expected a stage id or stage.output, found {fromNode.Describe()}"));
        }

        int? count = null;
        var countMark = mapping.Mark;
        if (mapping.TryGet("count", out _, out var countNode))
        {
            countMark = countNode.Mark;
            if (countNode is ConfigScalar countScalar && int.TryParse(countScalar.Value, out var n) && n >= 0)
            {
                count = n;
            }
            else
            {
                _errors.Add(new ConfigError(countNode.Mark, $"'count': expected how many events come out (a whole number, 0 or more), found {countNode.Describe()}"));
            }
        }

        var conditions = new List<UnitTestCondition>();
        if (mapping.TryGet("conditions", out _, out var conditionsNode))
        {
            if (conditionsNode is ConfigSequence list)
            {
                foreach (var item in list.Items)
                {
                    if (BindCondition(item) is { } condition)
                    {
                        conditions.Add(condition);
                    }
                }
            }
            else
            {
                _errors.Add(new ConfigError(conditionsNode.Mark, $"'conditions': expected a list of conditions, found {conditionsNode.Describe()}"));
            }
        }
        return from is null ? null : new UnitTestOutput(from, count, countMark, conditions);
    }

    private UnitTestCondition? BindCondition(ConfigNode node)
    {
        if (node is ConfigScalar { IsNull: false } expression)
        {
            try
            {
                var check = ConditionExpression.Parse(expression.Value, "condition").Compile();
                return new UnitTestCondition(expression.Mark, $"the condition {expression.Value}", evt => check(evt) ? null : "it is false");
            }
            catch (ComponentBuildException e)
            {
                _errors.Add(new ConfigError(expression.Mark, e.Message));
                return null;
            }
        }
        if (!ExpectMapping(node, "a condition (an expression, or { field: .path, equals | exists | matches | contains: ... })", ConditionKeys, out var mapping))
        {
            return null;
        }
        if (!mapping.TryGet("field", out _, out var fieldNode) || fieldNode is not ConfigScalar fieldScalar)
        {
            _errors.Add(new ConfigError(mapping.Mark, "a condition: missing required key 'field' (the field path it checks, such as .message)"));
            return null;
        }
        if (!FieldPath.TryParse(fieldScalar.Value, out var path, out var pathError))
        {
            _errors.Add(new ConfigError(fieldScalar.Mark, $"'field': {pathError}"));
            return null;
        }
        var checks = mapping.Entries.Where(e => e.Key.Value != "field").ToList();
        if (checks.Count != 1)
        {
            _errors.Add(new ConfigError(mapping.Mark, $"a condition on {path}: expected exactly one of equals, exists, matches or contains, found {checks.Count}"));
            return null;
        }
        var (operatorKey, value) = checks[0];
        return operatorKey.Value switch
        {
            "equals" => EqualsCondition(mapping.Mark, path, value),
            "exists" => ExistsCondition(mapping.Mark, path, value),
            "matches" => MatchesCondition(mapping.Mark, path, value),
            _ => ContainsCondition(mapping.Mark, path, value),
        };
    }

    private static UnitTestCondition EqualsCondition(SourceMark mark, FieldPath path, ConfigNode value)
    {
        var expectedJson = YamlJson.ToJson(value);
        var expected = JsonNode.Parse(expectedJson);
        return new UnitTestCondition(mark, $"{path} to equal {expectedJson}", evt =>
        {
            var actual = evt.Get(path);
            if (actual.IsMissing)
            {
                return $"no field {path}";
            }
            var actualJson = actual.ToJson();
            return JsonNode.DeepEquals(JsonNode.Parse(actualJson), expected) ? null : Shorten(actualJson);
        });
    }

    private UnitTestCondition? ExistsCondition(SourceMark mark, FieldPath path, ConfigNode value)
    {
        if (value is not ConfigScalar { IsPlain: true, Value: "true" or "false" } flag)
        {
            _errors.Add(new ConfigError(value.Mark, $"'exists': expected true or false, found {value.Describe()}"));
            return null;
        }
        var shouldExist = flag.Value == "true";
        return new UnitTestCondition(mark, shouldExist ? $"{path} to exist" : $"no field {path}", evt =>
        {
            var found = evt.Get(path);
            return found.IsMissing == !shouldExist ? null : found.IsMissing ? $"no field {path}" : Shorten(found.ToJson());
        });
    }

    private UnitTestCondition? MatchesCondition(SourceMark mark, FieldPath path, ConfigNode value)
    {
        if (value is not ConfigScalar { IsNull: false } pattern)
        {
            _errors.Add(new ConfigError(value.Mark, $"'matches': expected a regular expression, found {value.Describe()}"));
            return null;
        }
        Regex regex;
        try
        {
            regex = new Regex(pattern.Value, RegexOptions.CultureInvariant, RegexTimeout);
        }
        catch (ArgumentException e)
        {
            _errors.Add(new ConfigError(pattern.Mark, $"'matches': not a valid regular expression: {e.Message}"));
            return null;
        }
        return new UnitTestCondition(mark, $"{path} to match /{pattern.Value}/", evt => TextCheck(evt, path, regex.IsMatch));
    }

    private UnitTestCondition? ContainsCondition(SourceMark mark, FieldPath path, ConfigNode value)
    {
        if (value is not ConfigScalar { IsNull: false } text)
        {
            _errors.Add(new ConfigError(value.Mark, $"'contains': expected the text the field contains, found {value.Describe()}"));
            return null;
        }
        var needle = text.Value;
        return new UnitTestCondition(mark, $"{path} to contain \"{needle}\"", evt => TextCheck(evt, path, s => s.Contains(needle, StringComparison.Ordinal)));
    }

    private static string? TextCheck(Event evt, FieldPath path, Func<string, bool> predicate)
    {
        var found = evt.Get(path);
        if (found.IsMissing)
        {
            return $"no field {path}";
        }
        return found.TryGetString(out var text) ? predicate(text) ? null : Shorten(found.ToJson()) : $"{Shorten(found.ToJson())}, not a string";
    }

    private static string Shorten(string json) => json.Length <= 200 ? json : string.Concat(json.AsSpan(0, 200), "…");

    private InputReference? BindStageOutput(ConfigScalar scalar, string key) => CheckStage(scalar, key, allowOutput: true);

    /// <summary>The stage (and output) a test names, or null after reporting why it names none.</summary>
    private InputReference? CheckStage(ConfigScalar scalar, string key, bool allowOutput)
    {
        var text = scalar.Value;
        var dot = allowOutput ? text.IndexOf('.', StringComparison.Ordinal) : -1;
        var id = dot < 0 ? text : text[..dot];
        var output = dot < 0 ? null : text[(dot + 1)..];
        if (!_components.TryGetValue(id, out var component))
        {
            var stages = _components.Where(c => c.Value.Kind == ComponentKind.Processor).Select(c => c.Key).ToList();
            _errors.Add(new ConfigError(scalar.Mark, $"'{key}': no stage '{id}' (expected one of {(stages.Count == 0 ? "the stages, but there are none" : string.Join(", ", stages))})",
                SpellingSuggestion.Closest(id, stages)));
            return null;
        }
        if (component.Kind != ComponentKind.Processor)
        {
            var noun = ComponentDraft.NounOf(component.Kind);
            _errors.Add(new ConfigError(scalar.Mark,
                $"'{key}': '{id}' is a {noun}, but tests run stages only: insert events at the stage it feeds, or extract them from the stage that feeds it"));
            return null;
        }
        if (component.Factory is { } factory)
        {
            // Inserting needs no output at all: a route stage with only named outputs is tested by inserting there.
            if (allowOutput && output is null && !factory.HasDefaultOutput)
            {
                _errors.Add(new ConfigError(scalar.Mark, $"'{key}': stage '{id}' has only named outputs (expected {string.Join(", ", factory.NamedOutputs.Select(o => $"{id}.{o}"))})"));
                return null;
            }
            if (output is not null && !factory.NamedOutputs.Contains(output))
            {
                _errors.Add(new ConfigError(scalar.Mark,
                    factory.NamedOutputs.Count == 0
                        ? $"'{key}': stage '{id}' has no named outputs (expected '{id}', found '{text}')"
                        : $"'{key}': stage '{id}' has no output '{output}' (expected one of {string.Join(", ", factory.NamedOutputs)})",
                    factory.NamedOutputs.Count == 0 ? null : SpellingSuggestion.Closest(output, factory.NamedOutputs)));
                return null;
            }
        }
        return new InputReference(id, output, scalar.Mark);
    }

    private IEnumerable<ConfigScalar> Scalars(ConfigNode node, string key)
    {
        if (node is ConfigScalar { IsNull: false } one)
        {
            return [one];
        }
        if (node is ConfigSequence list && list.Items.All(i => i is ConfigScalar))
        {
            return list.Items.Cast<ConfigScalar>();
        }
        _errors.Add(new ConfigError(node.Mark, $"'{key}': expected a list of stages (or stage.output), found {node.Describe()}"));
        return [];
    }

    private bool ExpectMapping(ConfigNode node, string what, string[] keys, out ConfigMapping mapping)
    {
        if (node is not ConfigMapping found)
        {
            _errors.Add(new ConfigError(node.Mark, $"{what}: expected a mapping, found {node.Describe()}"));
            mapping = null!;
            return false;
        }
        mapping = found;
        foreach (var (key, _) in found.Entries)
        {
            if (!keys.Contains(key.Value))
            {
                _errors.Add(new ConfigError(key.Mark, $"{what}: unknown key '{key.Value}' (expected one of {string.Join(", ", keys)})", SpellingSuggestion.Closest(key.Value, keys)));
            }
        }
        return true;
    }
}

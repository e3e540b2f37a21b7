using Acornima;
using Acornima.Ast;

namespace Pipeline.Processors.Script;

/// <summary>
/// A script as the stage runs it: its text, the name its stack traces show, and which version of the file it is.
/// Made only by <see cref="Parse"/>, so a running stage never holds a script that does not parse.
/// </summary>
internal sealed class ScriptProgram
{
    /// <summary>What the driver is named in stack traces (and filtered out of them by that name).</summary>
    public const string DriverDocument = "pipeline:driver";

    private ScriptProgram(string text, string documentName, int version)
    {
        Text = text;
        DocumentName = documentName;
        Version = version;
    }

    public string Text { get; }

    /// <summary>The file's path, or <c>&lt;component id&gt;.js</c> for an inline source.</summary>
    public string DocumentName { get; }

    /// <summary>1 for the script the stage started with; one more for every change of its file since.</summary>
    public int Version { get; }

    /// <summary>
    /// Checks the syntax with Acornima (Jint's own parser, pure managed, so <c>validate</c> needs no native engine) and
    /// that the script declares <c>process</c>.
    /// </summary>
    /// <exception cref="ScriptSyntaxException">The script does not parse, or declares no process.</exception>
    public static ScriptProgram Parse(string text, string documentName, int version = 1)
    {
        Acornima.Ast.Script ast;
        try
        {
            ast = new Parser(new ParserOptions { Tolerant = false }).ParseScript(text, documentName);
        }
        catch (ParseErrorException ex)
        {
            // Acornima's column is 0-based; editors and V8's stack traces count from 1.
            throw new ScriptSyntaxException(ex.LineNumber, ex.Column + 1, ex.Description ?? ex.Message);
        }
        if (!DeclaresProcess(ast))
        {
            throw new ScriptSyntaxException(0, 0,
                "the script declares no process function; define `function process(event, emit) { ... emit(event); }`");
        }
        return new ScriptProgram(text, documentName, version);
    }

    private static bool DeclaresProcess(Acornima.Ast.Script ast)
    {
        foreach (var statement in ast.Body)
        {
            switch (statement)
            {
                case FunctionDeclaration { Id.Name: "process" }:
                    return true;
                case VariableDeclaration declaration when declaration.Declarations.Any(d => d.Id is Identifier { Name: "process" }):
                    return true;
                case ExpressionStatement { Expression: AssignmentExpression assignment } when IsProcessTarget(assignment.Left):
                    return true;
            }
        }
        return false;
    }

    /// <summary><c>process = ...</c> or <c>globalThis.process = ...</c>.</summary>
    private static bool IsProcessTarget(Node target) => target switch
    {
        Identifier { Name: "process" } => true,
        MemberExpression { Object: Identifier { Name: "globalThis" }, Property: Identifier { Name: "process" }, Computed: false } => true,
        _ => false,
    };
}

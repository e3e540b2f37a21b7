using System.CommandLine;
using Pipeline.Config;

namespace Pipeline.Host.Commands;

/// <summary><c>pipeline components</c>: the reference of every component type (docs/components.md).</summary>
internal static class ComponentsCommand
{
    public static Command Create(CliContext context)
    {
        var format = new Option<string>("--format", "-f")
        {
            Description = "markdown.",
            DefaultValueFactory = _ => "markdown",
        };
        format.AcceptOnlyFromAmong("markdown");
        var components = new Command("components", "Print the reference of every component type and its options (docs/components.md).") { format };
        components.SetAction(parse =>
        {
            parse.InvocationConfiguration.Output.Write(ComponentReference.RenderMarkdown(context.Catalog));
            return ExitCodes.Ok;
        });
        return components;
    }
}

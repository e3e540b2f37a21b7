using Pipeline.Components;
using Pipeline.Host;

namespace Pipeline;

public static class Program
{
    public static Task<int> Main(string[] args) => Cli.RunAsync(args, Console.Out, Console.Error, BuiltInComponents.Create());
}

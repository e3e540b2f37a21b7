using BenchmarkDotNet.Running;

namespace Pipeline.Bench;

public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "micro")
        {
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args[1..]);
            return 0;
        }
        Console.Error.WriteLine("usage: Pipeline.Bench micro [BenchmarkDotNet arguments, e.g. --filter '*Event*' --job short]");
        return 2;
    }
}

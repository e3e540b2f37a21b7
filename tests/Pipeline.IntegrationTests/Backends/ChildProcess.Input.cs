namespace Pipeline.IntegrationTests.Backends;

internal sealed partial class ChildProcess
{
    /// <summary>Writes <paramref name="text"/> to its stdin and closes it: the end of input a batch job runs to.</summary>
    public async Task WriteInputAndCloseAsync(string text)
    {
        await _process.StandardInput.WriteAsync(text);
        _process.StandardInput.Close();
    }
}

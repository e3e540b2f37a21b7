namespace Pipeline.Tests.Deploy;

public sealed class YamlLintTests
{
    [Fact]
    public async Task Yamllint_accepts_the_deploy_assets_and_the_compose_file()
    {
        var yamllint = ExternalTool.Require("yamllint", "yamllint");

        var result = await yamllint.RunAsync(["--strict", "-c", "deploy/.yamllint.yml", "deploy", "docker-compose.observability.yml"]);

        Assert.True(result.Succeeded, result.Transcript);
    }
}

using Pipeline.Components;

namespace Pipeline.Tests.Processors;

public sealed class BuiltInProcessorRegistrationTests
{
    [Theory]
    [InlineData("parse_json", "field,target,drop_source")]
    [InlineData("parse_cri", "field,max_merged_line_bytes,partition_field")]
    [InlineData("parse_docker_json", "field,max_merged_line_bytes,partition_field")]
    [InlineData("filter", "condition")]
    [InlineData("remap", "rename,copy,set,delete")]
    [InlineData("redact", "fields,patterns,presets,replacement")]
    [InlineData("hash", "fields,target_suffix,encoding")]
    [InlineData("sample", "rate,key_field")]
    [InlineData("route", "routes")]
    [InlineData("delay", "duration,min,max")]
    [InlineData("kubernetes", "field,pod_metadata,node_name,max_pods,delay_deletion,api_url")]
    public void Every_processor_is_registered_with_its_documented_options(string type, string options)
    {
        Assert.True(BuiltInComponents.Create().TryGet(ComponentKind.Processor, type, out var descriptor));
        Assert.Equal(options.Split(','), descriptor.Options.Select(o => o.Name));
        Assert.All(descriptor.Options, o => Assert.False(string.IsNullOrWhiteSpace(o.Description)));
    }
}

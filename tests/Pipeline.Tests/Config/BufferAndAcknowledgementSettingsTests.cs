using Pipeline.Config;
using Pipeline.Isolates;
using Pipeline.Isolates.Buffers;

namespace Pipeline.Tests.Config;

/// <summary>A sink's <c>buffer:</c> and a source's <c>acknowledgements:</c>, as Vector spells them.</summary>
public sealed class BufferAndAcknowledgementSettingsTests
{
    private static PipelineConfig Load(string yaml)
        => ConfigLoader.LoadYaml(yaml, ConfigErrors.File, new TestComponents().Catalog, new Dictionary<string, string>());

    [Fact]
    public void A_disk_buffer_binds_its_size_and_when_full_and_leaves_the_mailbox_blocking()
    {
        var config = Load("""
            sources:
              in: { type: gen }
            sinks:
              o:
                type: out
                inputs: [in]
                buffer: { type: disk, max_size: 2GiB, when_full: drop_newest }
            """);

        var stage = config.Sinks.Single().Stage;
        Assert.Equal(BufferType.Disk, stage.Buffer!.Type);
        Assert.Equal(2L * 1024 * 1024 * 1024, stage.Buffer.MaxSize);
        Assert.Equal(WhenFull.DropNewest, stage.Buffer.WhenFull);
        Assert.Equal(WhenFull.Block, stage.WhenFull);
    }

    [Fact]
    public void A_memory_buffers_max_events_is_split_over_the_isolates_mailboxes()
    {
        var config = Load("""
            sources:
              in: { type: gen }
            sinks:
              o:
                type: out
                inputs: [in]
                isolates: 4
                buffer: { type: memory, max_events: 1000, when_full: drop_newest }
            """);

        var stage = config.Sinks.Single().Stage;
        Assert.Equal(250, stage.Mailbox);
        Assert.Equal(WhenFull.DropNewest, stage.WhenFull);
    }

    [Fact]
    public void A_buffer_on_a_stage_is_an_error_at_its_key()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: { type: gen }
            stages:
              p: { type: pass, inputs: [in], buffer: { type: disk } }
            sinks:
              o: { type: out, inputs: [p] }
            """);

        ConfigErrors.Only(errors, "'buffer' is a sink setting", 4, 34);
    }

    [Fact]
    public void A_disk_buffer_smaller_than_1MiB_an_unknown_key_and_a_second_when_full_are_each_reported_where_written()
    {
        var errors = ConfigErrors.Of("""
            sources:
              in: { type: gen }
            sinks:
              o:
                type: out
                inputs: [in]
                when_full: block
                buffer:
                  type: disk
                  max_size: 100KiB
                  max_event: 5
            """);

        ConfigErrors.Single(errors, "expected a size between 1MiB and 1024GiB", 10, 17);
        Assert.Contains("max_events", ConfigErrors.Single(errors, "unknown key 'max_event'", 11, 7).ToString());
        ConfigErrors.Single(errors, "'when_full' is set by 'buffer'", 7, 5);
    }

    [Fact]
    public void Acknowledgements_bind_on_a_source_in_either_of_vectors_forms()
    {
        var config = Load("""
            sources:
              a: { type: gen, acknowledgements: true }
              b: { type: gen, acknowledgements: { enabled: true } }
              c: { type: gen }
            sinks:
              o: { type: out, inputs: [a, b, c] }
            """);

        Assert.Equal([true, true, null], config.Sources.Select(s => s.Acknowledgements));
    }

    [Fact]
    public void Acknowledgements_that_are_not_a_boolean_are_an_error_at_the_value()
    {
        var errors = ConfigErrors.Of("""
            sources:
              a: { type: gen, acknowledgements: sometimes }
            sinks:
              o: { type: out, inputs: [a] }
            """);

        Assert.Single(errors);
        Assert.Equal((2, 37), (errors[0].Mark.Line, errors[0].Mark.Column));
    }
}

using Pipeline.Components;
using Pipeline.Events;
using Pipeline.Processors;
using static Pipeline.Tests.Processors.ProcessorHarness;

namespace Pipeline.Tests.Processors;

public sealed class HashProcessorTests
{
    private const string AbcHex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    private const string EmptyHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static IProcessorFactory Hash(params string[] fields) => Build(new HashConfig { Fields = [.. fields.Select(Path)] });

    [Fact]
    public void Strings_are_replaced_by_the_hex_sha256_of_their_utf8_bytes()
        => Assert.Equal($$"""{"a":"{{AbcHex}}","b":"{{EmptyHex}}","c":"keep"}""", RunToJson(Hash(".a", ".b"), """{"a":"abc","b":"","c":"keep"}"""));

    [Fact]
    public void Base64_encoding_writes_the_padded_standard_alphabet()
    {
        var evt = Assert.Single(Run(Build(new HashConfig { Fields = [Path(".a")], Encoding = HashConfig.DigestEncoding.Base64 }), """{"a":"abc"}""").Default);
        Assert.Equal("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=", evt.Get(Path(".a")).ToString());
    }

    [Fact]
    public void Other_types_are_hashed_as_their_json_text()
        => Assert.Equal("""{"n":"73475cb40a568e8da8a045ced110137e159f890ac4da883b6b17dc651b3a8049","o":"015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"}""",
            RunToJson(Hash(".n", ".o"), """{"n":42,"o":{"a":1}}"""));

    [Fact]
    public void Missing_and_null_fields_are_left_alone()
        => Assert.Equal("""{"b":null}""", RunToJson(Hash(".a", ".b"), """{"b":null}"""));

    [Fact]
    public void A_target_suffix_writes_a_sibling_and_keeps_the_original()
        => Assert.Equal($$"""{"user":{"email":"abc","email_sha256":"{{AbcHex}}"},"odd key":"abc","odd key_sha256":"{{AbcHex}}"}""",
            RunToJson(Build(new HashConfig { Fields = [Path(".user.email"), Path(".\"odd key\"")], TargetSuffix = "_sha256" }),
                """{"user":{"email":"abc"},"odd key":"abc"}"""));

    [Fact]
    public void Hashing_a_fresh_event_allocates_nothing()
    {
        var path = Path(".payload");
        var processor = Hash(".payload").CreateForIsolate(0);
        var emitter = new CountingEmitter();
        var events = Enumerable.Range(0, 1000)
            .Select(_ => Event.Parse($$"""{"payload":"{{new string('x', 1024)}}"}"""))
            .ToArray();
        processor.ProcessAsync(events[0], emitter, TestContext.Current.CancellationToken);
        Assert.Equal(64, events[0].Get(path).ToString().Length);

        // Each event is hashed once, as in a pipeline: the digest fits the slack of the event's pooled arena, so
        // the only thing that could allocate is the processor itself. A per-event string or array would show
        // as at least 24 bytes per event.
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 1; i < events.Length; i++)
        {
            processor.ProcessAsync(events[i], emitter, TestContext.Current.CancellationToken);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(events.Length, emitter.Count);
        Assert.True(allocated < (events.Length - 1) * 8, $"hashing 999 events allocated {allocated} bytes");
    }

    private sealed class CountingEmitter : IEventEmitter
    {
        public int Count { get; private set; }

        public void Emit(Event evt) => Count++;

        public void Emit(int namedOutput, Event evt) => Count++;
    }

    [Fact]
    public void No_fields_fails_the_build()
        => Assert.Equal("fields", Assert.Throws<ComponentBuildException>(() => Hash()).Option);

    [Fact]
    public void An_empty_suffix_fails_the_build()
        => Assert.Equal("target_suffix", Assert.Throws<ComponentBuildException>(() => Build(new HashConfig { Fields = [Path(".a")], TargetSuffix = "" })).Option);

    [Fact]
    public void A_suffix_on_an_array_element_fails_the_build()
        => Assert.Equal("target_suffix", Assert.Throws<ComponentBuildException>(() => Build(new HashConfig { Fields = [Path(".a[0]")], TargetSuffix = "_h" })).Option);

    [Fact]
    public void The_root_fails_the_build()
        => Assert.Equal("fields", Assert.Throws<ComponentBuildException>(() => Build(new HashConfig { Fields = [FieldPath.Root] })).Option);
}

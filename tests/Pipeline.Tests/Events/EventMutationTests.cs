using System.Text;
using System.Text.Json;
using Pipeline.Events;

namespace Pipeline.Tests.Events;

public sealed class EventMutationTests
{
    private static FieldPath P(string path) => FieldPath.Parse(path);

    [Fact]
    public void Setting_a_nested_path_creates_missing_parents()
    {
        var evt = Event.CreateEmpty();

        evt.SetString(P(".a.b.c"), "x");
        evt.SetNumber(P(".a.b.n"), 7);
        evt.SetString(P(".tags[0]"), "first");

        Assert.Equal("""{"a":{"b":{"c":"x","n":7}},"tags":["first"]}""", evt.ToString());
    }

    [Fact]
    public void Overwriting_a_field_keeps_its_position()
    {
        var evt = Event.Parse("""{"a":1,"b":{"x":[1,2]},"c":3}""");

        evt.SetString(P(".a"), "one");
        evt.SetBoolean(P(".b"), false);
        evt.SetNull(P(".c"));

        Assert.Equal("""{"a":"one","b":false,"c":null}""", evt.ToString());
    }

    [Fact]
    public void Every_scalar_setter_writes_its_json_form()
    {
        var evt = Event.CreateEmpty();

        evt.SetString(P(".s"), "text");
        evt.SetString(P(".u"), "bytes"u8);
        evt.SetNumber(P(".l"), long.MinValue);
        evt.SetNumber(P(".d"), 0.1);
        evt.SetNumber(P(".big"), 1e300);
        evt.SetNumber(P(".whole"), 3.0);
        evt.SetBoolean(P(".t"), true);
        evt.SetNull(P(".z"));

        Assert.Equal("""{"s":"text","u":"bytes","l":-9223372036854775808,"d":0.1,"big":1E+300,"whole":3,"t":true,"z":null}""", evt.ToString());
        Assert.True(evt.Get(P(".d")).TryGetDouble(out var d));
        Assert.Equal(0.1, d);
    }

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "Infinity")]
    public void Non_finite_numbers_are_rejected_because_json_cannot_hold_them(double value, string shown)
    {
        var evt = Event.CreateEmpty();

        var ex = Assert.Throws<EventFormatException>(() => evt.SetNumber(P(".x"), value));

        Assert.Equal($"cannot write .x: {shown} has no JSON form (expected a finite number)", ex.Message);
        Assert.False(evt.Exists(P(".x")));
    }

    [Fact]
    public void Strings_that_need_escaping_are_escaped_on_output()
    {
        var evt = Event.CreateEmpty();
        const string text = "line\nbreak \"quoted\" back\\slash \u0001 tab\t é😀";

        evt.SetString(P(".s"), text);
        evt.SetString(P("""."key \"with\" quotes" """), "v");

        Assert.Equal("""{"s":"line\nbreak \"quoted\" back\\slash \u0001 tab\t é😀","key \"with\" quotes":"v"}""", evt.ToString());
        using var doc = JsonDocument.Parse(evt.ToUtf8Json());
        Assert.Equal(text, doc.RootElement.GetProperty("s").GetString());
        Assert.Equal("v", doc.RootElement.GetProperty("key \"with\" quotes").GetString());
    }

    [Fact]
    public void Invalid_utf8_bytes_are_stored_as_replacement_characters()
    {
        var evt = Event.CreateEmpty();

        evt.SetString(P(".s"), [(byte)'a', 0xFF, (byte)'b']);

        Assert.True(evt.Get(P(".s")).StringEquals("a\uFFFDb"));
    }

    [Fact]
    public void Setting_index_equal_to_length_appends_and_past_it_fails()
    {
        var evt = Event.Parse("""{"tags":["a","b"]}""");

        evt.SetString(P(".tags[2]"), "c");
        evt.SetString(P(".tags[0]"), "A");
        var ex = Assert.Throws<EventFormatException>(() => evt.SetString(P(".tags[5]"), "x"));

        Assert.Equal("""{"tags":["A","b","c"]}""", evt.ToString());
        Assert.Equal("cannot write .tags[5]: index 5 is past the end of the array (length 3)", ex.Message);
    }

    [Fact]
    public void An_intermediate_index_must_exist()
    {
        var evt = Event.Parse("""{"list":[]}""");

        var ex = Assert.Throws<EventFormatException>(() => evt.SetString(P(".list[0].name"), "x"));

        Assert.Equal("cannot write .list[0].name: index 0 is past the end of the array (length 0)", ex.Message);
    }

    [Theory]
    [InlineData("""{"a":"str"}""", ".a.b", "cannot write .a.b: .a is a string, not an object")]
    [InlineData("""{"a":5}""", ".a.b.c", "cannot write .a.b.c: .a is a number, not an object")]
    [InlineData("""{"a":{}}""", ".a[0]", "cannot write .a[0]: .a is an object, not an array")]
    [InlineData("""{"a":[true]}""", ".a[0].x", "cannot write .a[0].x: .a[0] is a boolean, not an object")]
    [InlineData("""{"a":[1]}""", ".a.b", "cannot write .a.b: .a is an array, not an object")]
    [InlineData("""{}""", "[0]", "cannot write [0]: . is an object, not an array")]
    public void Writing_through_a_parent_of_the_wrong_type_names_the_path_and_what_was_found(string json, string path, string message)
    {
        var evt = Event.Parse(json);

        var ex = Assert.Throws<EventFormatException>(() => evt.SetString(P(path), "x"));

        Assert.Equal(message, ex.Message);
        Assert.Equal(json, evt.ToString());
    }

    [Fact]
    public void A_null_parent_is_replaced_by_the_container_the_path_needs()
    {
        var evt = Event.Parse("""{"a":null,"b":[null]}""");

        evt.SetString(P(".a.x"), "1");
        evt.SetString(P(".b[0][0]"), "2");

        Assert.Equal("""{"a":{"x":"1"},"b":[["2"]]}""", evt.ToString());
    }

    [Theory]
    [InlineData("string")]
    [InlineData("null")]
    public void Scalars_cannot_replace_the_root(string kind)
    {
        var evt = Event.Parse("""{"a":1}""");

        var ex = Assert.Throws<EventFormatException>(() =>
        {
            if (kind == "null")
            {
                evt.SetNull(FieldPath.Root);
            }
            else
            {
                evt.SetString(FieldPath.Root, "x");
            }
        });

        Assert.Equal($"only an object can replace the root, found {(kind == "null" ? "null" : "a string")}", ex.Message);
    }

    [Fact]
    public void Remove_deletes_keys_elements_and_reports_whether_anything_was_there()
    {
        var evt = Event.Parse("""{"a":{"b":1,"c":2},"list":[10,20,30],"d":4}""");

        Assert.True(evt.Remove(P(".a.b")));
        Assert.True(evt.Remove(P(".list[1]")));
        Assert.True(evt.Remove(P(".d")));
        Assert.False(evt.Remove(P(".missing")));
        Assert.False(evt.Remove(P(".a.c.deeper")));
        Assert.False(evt.Remove(P(".list[5]")));
        Assert.False(evt.Remove(P(".a[0]")));

        Assert.Equal("""{"a":{"c":2},"list":[10,30]}""", evt.ToString());
        Assert.True(evt.Get(P(".list[1]")).TryGetInt64(out var second));
        Assert.Equal(30, second);
    }

    [Fact]
    public void Removing_the_root_clears_the_event()
    {
        var evt = Event.Parse("""{"a":1}""");

        Assert.True(evt.Remove(FieldPath.Root));
        Assert.False(evt.Remove(FieldPath.Root));
        evt.SetString(P(".b"), "x");

        Assert.Equal("""{"b":"x"}""", evt.ToString());
    }

    [Fact]
    public void Removing_the_first_and_last_fields_keeps_the_rest_linked()
    {
        var evt = Event.Parse("""{"a":1,"b":2,"c":3}""");

        evt.Remove(P(".a"));
        evt.Remove(P(".c"));
        evt.SetNumber(P(".d"), 4);

        Assert.Equal("""{"b":2,"d":4}""", evt.ToString());
    }

    [Fact]
    public void Rename_moves_a_subtree_to_a_new_path()
    {
        var evt = Event.Parse("""{"user":{"id":1,"tags":["x"]},"msg":"hi"}""");

        Assert.True(evt.Rename(P(".user"), P(".actor.who")));
        Assert.True(evt.Rename(P(".msg"), P(".message")));
        Assert.False(evt.Rename(P(".missing"), P(".other")));

        Assert.Equal("""{"actor":{"who":{"id":1,"tags":["x"]}},"message":"hi"}""", evt.ToString());
        Assert.False(evt.Exists(P(".other")));
    }

    [Fact]
    public void Rename_into_its_own_subtree_and_out_of_it()
    {
        var evt = Event.Parse("""{"a":{"b":{"c":1}}}""");

        evt.Rename(P(".a.b"), P(".a"));
        Assert.Equal("""{"a":{"c":1}}""", evt.ToString());

        evt.Rename(P(".a"), P(".a.inner"));
        Assert.Equal("""{"a":{"inner":{"c":1}}}""", evt.ToString());
    }

    [Fact]
    public void Renaming_the_root_nests_the_whole_event_under_the_new_path()
    {
        var evt = Event.Parse("""{"a":1,"b":[2]}""");

        Assert.True(evt.Rename(FieldPath.Root, P(".original")));

        Assert.Equal("""{"original":{"a":1,"b":[2]}}""", evt.ToString());
        Assert.Equal(evt.ToUtf8Json().Length, evt.EstimatedSize);
    }

    [Fact]
    public void Copy_duplicates_a_value_and_the_copies_are_independent()
    {
        var evt = Event.Parse("""{"src":{"k":"v","list":[1]}}""");

        Assert.True(evt.Copy(P(".src"), P(".dst")));
        Assert.False(evt.Copy(P(".nope"), P(".dst2")));
        evt.SetString(P(".dst.k"), "changed");
        evt.SetNumber(P(".src.list[1]"), 2);

        Assert.Equal("""{"src":{"k":"v","list":[1,2]},"dst":{"k":"changed","list":[1]}}""", evt.ToString());
        Assert.False(evt.Exists(P(".dst2")));
    }

    [Fact]
    public void Copy_into_its_own_subtree_copies_the_value_as_it_was()
    {
        var evt = Event.Parse("""{"a":{"x":1}}""");

        evt.Copy(P(".a"), P(".a.self"));

        Assert.Equal("""{"a":{"x":1,"self":{"x":1}}}""", evt.ToString());
    }

    [Fact]
    public void SetJson_places_any_json_value_at_a_path()
    {
        var evt = Event.Parse("""{"a":1}""");

        evt.SetJson(P(".obj"), """{"k":[1,{"n":null}]}"""u8);
        evt.SetJson(P(".arr"), """ [ "x" , 2 ] """u8);
        evt.SetJson(P(".a"), "\"text\""u8);
        evt.SetJson(P(".deep.er"), "12.50"u8);

        Assert.Equal("""{"a":"text","obj":{"k":[1,{"n":null}]},"arr":["x",2],"deep":{"er":12.50}}""", evt.ToString());
    }

    [Fact]
    public void SetJson_at_the_root_merges_fields_replacing_existing_ones_in_place()
    {
        var evt = Event.Parse("""{"a":1,"b":2}""");

        evt.SetJson(FieldPath.Root, """{"b":{"new":true},"c":3}"""u8);

        Assert.Equal("""{"a":1,"b":{"new":true},"c":3}""", evt.ToString());
    }

    [Fact]
    public void SetJson_at_the_root_rejects_a_non_object()
    {
        var evt = Event.Parse("""{"a":1}""");

        var ex = Assert.Throws<EventFormatException>(() => evt.SetJson(FieldPath.Root, "[1]"u8));

        Assert.Equal("only a JSON object can be merged into the root, found an array", ex.Message);
        Assert.Equal("""{"a":1}""", evt.ToString());
    }

    [Fact]
    public void SetJson_with_invalid_json_leaves_the_event_unchanged()
    {
        var evt = Event.Parse("""{"a":1}""");

        var ex = Assert.Throws<EventFormatException>(() => evt.SetJson(P(".b"), """{"x":"""u8));

        Assert.StartsWith("invalid JSON: ", ex.Message);
        Assert.Equal("""{"a":1}""", evt.ToString());
    }

    [Fact]
    public void SetJson_can_parse_a_field_of_the_same_event_even_when_the_arena_grows()
    {
        var inner = "{\"user\":\"ada\",\"pad\":\"" + new string('p', 5000) + "\"}";
        var evt = Event.CreateEmpty();
        evt.SetString(P(".message"), inner);
        Assert.True(evt.Get(P(".message")).TryGetUtf8(out var utf8));

        evt.SetJson(FieldPath.Root, utf8);

        Assert.True(evt.Get(P(".user")).StringEquals("ada"));
        Assert.Equal(5000, evt.Get(P(".pad")).ToString().Length);
        Assert.True(evt.Get(P(".message")).StringEquals(inner));
    }

    [Fact]
    public void SetString_from_a_span_of_the_same_event_survives_arena_growth()
    {
        var big = new string('x', 3000);
        var evt = Event.CreateEmpty();
        evt.SetString(P(".a"), big);
        Assert.True(evt.Get(P(".a")).TryGetUtf8(out var utf8));

        evt.SetString(P(".b.with.new.parents"), utf8);

        Assert.True(evt.Get(P(".b.with.new.parents")).StringEquals(big));
    }

    [Fact]
    public void SetValue_copies_scalars_and_subtrees_from_another_event()
    {
        var source = Event.Parse("""{"name":"ada","n":1.25,"ok":true,"nil":null,"obj":{"k":["v",{"z":"é"}]}}""");
        var target = Event.Parse("""{"keep":1}""");

        target.SetValue(P(".name"), source.Get(P(".name")));
        target.SetValue(P(".n"), source.Get(P(".n")));
        target.SetValue(P(".ok"), source.Get(P(".ok")));
        target.SetValue(P(".nil"), source.Get(P(".nil")));
        target.SetValue(P(".copy.of.obj"), source.Get(P(".obj")));
        source.SetString(P(".obj.k[0]"), "changed in source");
        source.Release();

        Assert.Equal("""{"keep":1,"name":"ada","n":1.25,"ok":true,"nil":null,"copy":{"of":{"obj":{"k":["v",{"z":"é"}]}}}}""", target.ToString());
    }

    [Fact]
    public void SetValue_with_a_missing_value_removes_the_field()
    {
        var evt = Event.Parse("""{"a":1,"b":2}""");

        evt.SetValue(P(".a"), evt.Get(P(".nothing")));
        evt.SetValue(P(".b"), EventValue.Missing);

        Assert.Equal("{}", evt.ToString());
    }

    [Fact]
    public void SetValue_at_the_root_replaces_it_with_an_object_only()
    {
        var source = Event.Parse("""{"inner":{"x":1},"s":"str"}""");
        var target = Event.Parse("""{"old":true}""");

        target.SetValue(FieldPath.Root, source.Get(P(".inner")));
        var ex = Assert.Throws<EventFormatException>(() => target.SetValue(FieldPath.Root, source.Get(P(".s"))));

        Assert.Equal("""{"x":1}""", target.ToString());
        Assert.Equal("only an object can replace the root, found a string", ex.Message);
    }

    [Fact]
    public void SetValue_from_the_same_event_into_its_own_subtree()
    {
        var evt = Event.Parse("""{"a":{"b":[1,2]}}""");

        evt.SetValue(P(".a.b[2]"), evt.Get(P(".a")));

        Assert.Equal("""{"a":{"b":[1,2,{"b":[1,2]}]}}""", evt.ToString());
    }

    [Fact]
    public void Estimated_size_tracks_changes_exactly_for_compact_unescaped_content()
    {
        var evt = Event.Parse("""{"a":1,"b":{"c":[1,2]},"d":"text"}""");

        void Check() => Assert.Equal(evt.ToUtf8Json().Length, evt.EstimatedSize);

        evt.SetString(P(".e.f"), "new"); Check();
        evt.SetNumber(P(".a"), 12345); Check();
        evt.SetNumber(P(".b.c[2]"), 3); Check();
        evt.Remove(P(".b.c[0]")); Check();
        evt.Remove(P(".d")); Check();
        evt.Rename(P(".b"), P(".x.y")); Check();
        evt.Copy(P(".x"), P(".z")); Check();
        evt.SetJson(P(".j"), """{"k":[true,false,null]}"""u8); Check();
        evt.SetJson(FieldPath.Root, """{"a":"merged","m":{}}"""u8); Check();
        evt.SetBoolean(P(".z"), false); Check();
        evt.Remove(P(".e.f")); Check();
        evt.Remove(FieldPath.Root); Check();
        evt.SetNull(P(".only")); Check();
    }

    [Fact]
    public void Many_fields_and_many_mutations_grow_past_the_initial_arrays()
    {
        var evt = Event.CreateEmpty();
        var expected = new Dictionary<string, string>();
        for (var i = 0; i < 2000; i++)
        {
            var value = new string((char)('a' + (i % 26)), i % 50);
            evt.SetString(P($".group{i % 10}.field{i}"), value);
            expected[$"field{i}"] = value;
        }
        for (var round = 0; round < 1000; round++)
        {
            evt.SetNumber(P(".counter"), round);
        }
        evt.SetString(P(".huge"), new string('h', 200_000));

        using var doc = JsonDocument.Parse(evt.ToUtf8Json());
        for (var i = 0; i < 2000; i++)
        {
            Assert.Equal(expected[$"field{i}"], doc.RootElement.GetProperty($"group{i % 10}").GetProperty($"field{i}").GetString());
        }
        Assert.Equal(999, doc.RootElement.GetProperty("counter").GetInt64());
        Assert.Equal(200_000, doc.RootElement.GetProperty("huge").GetString()!.Length);
        Assert.Equal(Encoding.UTF8.GetString(evt.ToUtf8Json()), Event.Parse(evt.ToUtf8Json()).ToString());
    }
}

using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Parity.Dump;
using Parity.Dump.Tests.Support;

namespace Parity.Dump.Tests;

/// <summary>Every way a dump can be broken gives a DumpFormatException that starts with the offending file's path.</summary>
[TestFixture]
public sealed class CorruptionTests
{
    private TempDirectory _temp = null!;
    private string _run = null!;
    private string _step = null!;
    private string _tensors = null!;
    private string _manifest = null!;

    [SetUp]
    public void WriteValidRun()
    {
        _temp = new TempDirectory();
        _run = _temp.Combine("run");
        SampleDumps.WriteTwoStepRun(_run);
        _step = Path.Combine(_run, "step-0000");
        _tensors = Path.Combine(_step, "tensors.safetensors");
        _manifest = Path.Combine(_step, "manifest.json");
    }

    [TearDown]
    public void Cleanup() => _temp.Dispose();

    [Test]
    public void The_valid_run_opens()
    {
        using var step = DumpStep.Open(_step);
        Assert.That(step.Tensors, Has.Count.EqualTo(11));
    }

    [TestCase("0")]
    [TestCase("4")]
    [TestCase("8")]
    [TestCase("20")]
    [TestCase("headerEnd")]
    [TestCase("headerEnd+3")]
    [TestCase("end-1")]
    public void A_truncated_tensors_file_is_reported_with_its_path(string cut)
    {
        var bytes = File.ReadAllBytes(_tensors);
        var headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var length = cut switch
        {
            "headerEnd" => headerEnd,
            "headerEnd+3" => headerEnd + 3,
            "end-1" => bytes.Length - 1,
            _ => int.Parse(cut, System.Globalization.CultureInfo.InvariantCulture),
        };
        File.WriteAllBytes(_tensors, bytes[..length]);

        var e = OpenFails(_tensors);
        Assert.That(e.Message, Does.Contain("truncated"));
    }

    [Test]
    public void A_header_length_past_the_end_of_the_file_names_the_length_and_the_file_size()
    {
        var bytes = File.ReadAllBytes(_tensors);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 999999);
        File.WriteAllBytes(_tensors, bytes);

        var e = OpenFails(_tensors);
        Assert.Multiple(() =>
        {
            Assert.That(e.Message, Does.StartWith($"{_tensors}: header length 999999 at byte 0: exceeds the file size {bytes.Length}"));
            Assert.That(e.Offset, Is.Zero);
        });
    }

    [Test]
    public void A_header_length_near_two_to_the_64_is_refused_without_overflowing()
    {
        var bytes = File.ReadAllBytes(_tensors);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        File.WriteAllBytes(_tensors, bytes);
        Assert.That(OpenFails(_tensors).Message, Does.Contain("exceeds the file size"));
    }

    [Test]
    public void A_header_longer_than_the_safetensors_limit_is_refused_before_it_is_parsed()
    {
        // A sparse file: 150 MB long on paper, a few blocks on disk.
        using (var f = new FileStream(_tensors, FileMode.Create))
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, 150_000_000);
            f.Write(prefix);
            f.SetLength(150_000_100);
        }

        Assert.That(OpenFails(_tensors).Message, Does.Contain("header length 150000000 at byte 0: exceeds the 100000000-byte limit"));
    }

    [Test]
    public void An_invalid_json_header_is_reported()
    {
        var bytes = File.ReadAllBytes(_tensors);
        "{\"x\":"u8.CopyTo(bytes.AsSpan(8));
        "]]]"u8.CopyTo(bytes.AsSpan(13));
        File.WriteAllBytes(_tensors, bytes);
        Assert.That(OpenFails(_tensors).Message, Does.Contain("header JSON").And.Contain("not valid JSON"));
    }

    [Test]
    public void A_missing_manifest_is_reported()
    {
        File.Delete(_manifest);
        Assert.That(OpenFails(_manifest).Message, Is.EqualTo($"{_manifest}: missing (expected the step manifest)"));
    }

    [Test]
    public void A_manifest_that_is_not_json_is_reported()
    {
        File.WriteAllText(_manifest, "{ \"format\": \"parity-dump\", ");
        Assert.That(OpenFails(_manifest).Message, Does.Contain("not valid JSON"));
    }

    [Test]
    public void A_manifest_missing_a_required_member_is_reported()
    {
        EditManifest(m => m.Remove("positions"));
        Assert.That(OpenFails(_manifest).Message, Does.Contain("positions"));
    }

    [TestCase("[1, 2.5, 3]")]
    [TestCase("[1, 99999999999, 3]")]
    [TestCase("[1, \"2\", 3]")]
    [TestCase("null")]
    public void Tokens_that_are_not_32_bit_integers_are_reported(string tokens)
    {
        EditManifest(m => m["tokens"] = JsonNode.Parse(tokens));
        Assert.That(OpenFails(_manifest).Message, Does.Contain("JSON $.tokens"));
    }

    [Test]
    public void A_numeric_dtype_is_refused_naming_the_tensor_entry()
    {
        EditManifest(m => m["tensors"]![2]!["dtype"] = "1");
        Assert.That(OpenFails(_manifest).Message, Does.Contain("JSON $.tensors[2].dtype").And.Contain("\"1\" is not a dtype"));
    }

    [Test]
    public void A_null_where_the_format_needs_a_value_names_the_member()
    {
        EditManifest(m => m["options"]!["typeK"] = null);
        Assert.That(OpenFails(_manifest).Message, Does.Contain("JSON $.options.typeK: not a valid step manifest: is null"));
    }

    [Test]
    public void A_tensor_entry_missing_its_layer_is_reported_even_though_the_layer_may_be_null()
    {
        EditManifest(m => m["tensors"]![0]!.AsObject().Remove("layer"));
        Assert.That(OpenFails(_manifest).Message, Does.Contain("JSON $.tensors[0]").And.Contain("'layer' is missing"));
    }

    [Test]
    public void A_timestamp_that_is_not_iso_8601_is_reported()
    {
        EditManifest(m => m["createdUtc"] = "yesterday");
        Assert.That(OpenFails(_manifest).Message, Does.Contain("JSON $.createdUtc").And.Contain("ISO 8601"));
    }

    [Test]
    public void A_missing_tensors_file_is_reported()
    {
        File.Delete(_tensors);
        Assert.That(OpenFails(_tensors).Message, Does.Contain("missing"));
    }

    [Test]
    public void A_shape_in_the_header_that_disagrees_with_the_manifest_names_both_shapes()
    {
        MinimalSafetensors.RewriteHeader(_tensors, h => h["Qcur-0#1"]!["shape"] = new JsonArray(3, 16));
        var e = OpenFails(_manifest);
        Assert.That(e.Message, Is.EqualTo($"{_manifest}: tensor 'Qcur-0#1' shape: the manifest says [3,4,4] but the tensors.safetensors header says [3,16]"));
    }

    [Test]
    public void A_shape_in_the_manifest_that_disagrees_with_its_ne_is_reported()
    {
        EditManifest(m => m["tensors"]![4]!["shape"] = new JsonArray(3, 16));
        Assert.That(OpenFails(_manifest).Message, Does.Contain("tensors[4] 'Qcur-0#1' shape").And.Contain("gives shape [3,4,4], found [3,16]"));
    }

    [Test]
    public void Keys_in_a_different_order_than_the_manifest_are_reported()
    {
        MinimalSafetensors.RewriteHeader(_tensors, h =>
        {
            var value = h["node_12"]!.DeepClone();
            var entries = h.Select(p => (p.Key, Value: p.Key == "node_12" ? null : p.Value!.DeepClone())).ToList();
            h.Clear();
            foreach (var (key, v) in entries)
            {
                h[key == "node_12" ? "node_13" : key] = key == "node_12" ? value : v;
            }
        });
        Assert.That(OpenFails(_manifest).Message, Does.Contain("'node_12' but the tensors.safetensors header has 'node_13'"));
    }

    [Test]
    public void An_unknown_manifest_format_version_is_refused()
    {
        EditManifest(m => m["formatVersion"] = 2);
        Assert.That(OpenFails(_manifest).Message, Does.Contain("formatVersion: version 2 is not supported"));
    }

    [Test]
    public void An_unknown_run_format_version_is_refused()
    {
        var path = Path.Combine(_run, "run.json");
        var node = JsonNode.Parse(File.ReadAllText(path))!;
        node["formatVersion"] = 2;
        File.WriteAllText(path, node.ToJsonString());
        var e = Assert.Throws<DumpFormatException>(() => DumpRun.Open(_run));
        Assert.That(e!.Message, Does.StartWith($"{path}: formatVersion: version 2 is not supported"));
    }

    [Test]
    public void A_foreign_format_is_refused()
    {
        EditManifest(m => m["format"] = "something-else");
        Assert.That(OpenFails(_manifest).Message, Does.Contain("expected \"parity-dump\", found \"something-else\""));
    }

    [Test]
    public void An_unknown_version_in_the_safetensors_metadata_is_refused()
    {
        MinimalSafetensors.RewriteHeader(_tensors, h => h["__metadata__"]!["formatVersion"] = "2");
        Assert.That(OpenFails(_tensors).Message, Does.Contain("__metadata__.formatVersion").And.Contain("not supported"));
    }

    [Test]
    public void Data_offsets_past_the_data_section_are_reported()
    {
        MinimalSafetensors.RewriteHeader(_tensors, h =>
        {
            var offsets = h["result_output"]!["data_offsets"]!.AsArray();
            offsets[1] = offsets[1]!.GetValue<long>() + 4;
        });
        Assert.That(OpenFails(_tensors).Message, Does.Contain("tensor 'result_output' data_offsets").And.Contain("reach past the end"));
    }

    [Test]
    public void Overlapping_data_offsets_are_reported()
    {
        MinimalSafetensors.RewriteHeader(_tensors, h =>
        {
            var offsets = h["norm-0"]!["data_offsets"]!.AsArray();
            offsets[0] = offsets[0]!.GetValue<long>() - 4;
            offsets[1] = offsets[1]!.GetValue<long>() - 4;
        });
        Assert.That(OpenFails(_tensors).Message, Does.Contain("tensor 'norm-0' data_offsets").And.Contain("overlaps"));
    }

    [Test]
    public void Data_offsets_that_disagree_with_shape_and_dtype_are_reported()
    {
        MinimalSafetensors.RewriteHeader(_tensors, h => h["inp_embd"]!["dtype"] = "F16");
        Assert.That(OpenFails(_tensors).Message, Does.Contain("span 96 bytes but shape [3,8] of F16 needs 48"));
    }

    [Test]
    public void A_dtype_parity_dumps_do_not_use_is_reported()
    {
        MinimalSafetensors.RewriteHeader(_tensors, h => h["inp_embd"]!["dtype"] = "F8_E4M3");
        Assert.That(OpenFails(_tensors).Message, Does.Contain("\"F8_E4M3\" is not a dtype"));
    }

    [Test]
    public void Trailing_bytes_after_the_last_tensor_are_reported()
    {
        using (var f = new FileStream(_tensors, FileMode.Append))
        {
            f.Write(new byte[4]);
        }

        Assert.That(OpenFails(_tensors).Message, Does.Contain("trailing bytes"));
    }

    [Test]
    public void A_manifest_byte_range_that_is_not_contiguous_is_reported()
    {
        EditManifest(m => m["tensors"]![1]!["byteOffset"] = 100);
        Assert.That(OpenFails(_manifest).Message, Does.Contain("expected byteOffset 96"));
    }

    [Test]
    public void A_tensors_file_outside_the_step_directory_is_refused()
    {
        EditManifest(m => m["tensorsFile"] = "../step-0001/tensors.safetensors");
        Assert.That(OpenFails(_manifest).Message, Does.Contain("tensorsFile"));
    }

    [Test]
    public void A_run_listing_a_missing_step_directory_is_reported()
    {
        Directory.Delete(Path.Combine(_run, "step-0001"), recursive: true);
        var e = Assert.Throws<DumpFormatException>(() => DumpRun.Open(_run));
        Assert.That(e!.FilePath, Is.EqualTo(Path.Combine(_run, "step-0001")));
    }

    [Test]
    public void A_missing_run_manifest_is_reported()
    {
        File.Delete(Path.Combine(_run, "run.json"));
        var e = Assert.Throws<DumpFormatException>(() => DumpRun.Open(_run));
        Assert.That(e!.FilePath, Is.EqualTo(Path.Combine(_run, "run.json")));
    }

    [Test]
    public void A_step_whose_manifest_has_another_step_number_is_reported_when_opened()
    {
        EditManifest(m => m["step"] = 5);
        var run = DumpRun.Open(_run);
        var e = Assert.Throws<DumpFormatException>(() => run.OpenStep(0));
        Assert.That(e!.Message, Does.StartWith($"{_manifest}: step: expected 0"));
    }

    private static DumpFormatException OpenFails(string expectedPath)
    {
        var directory = Path.GetDirectoryName(expectedPath)!;
        var e = Assert.Throws<DumpFormatException>(() => DumpStep.Open(directory).Dispose());
        TestContext.Out.WriteLine(e!.Message);
        Assert.Multiple(() =>
        {
            Assert.That(e!.FilePath, Is.EqualTo(expectedPath));
            Assert.That(e.Message, Does.StartWith(expectedPath + ": "));
        });
        return e!;
    }

    private void EditManifest(Action<JsonObject> edit)
    {
        var node = JsonNode.Parse(File.ReadAllText(_manifest))!.AsObject();
        edit(node);
        File.WriteAllText(_manifest, node.ToJsonString());
    }
}

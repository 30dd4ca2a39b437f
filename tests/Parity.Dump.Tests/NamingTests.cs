using Parity.Dump;

namespace Parity.Dump.Tests;

[TestFixture]
public sealed class NamingTests
{
    [TestCase("Qcur-0", 0, "Qcur-0")]
    [TestCase("Qcur-0", 1, "Qcur-0#1")]
    [TestCase("Qcur-0", 2, "Qcur-0#2")]
    [TestCase("cache_k_l0 (view) (permuted)", 12, "cache_k_l0 (view) (permuted)#12")]
    public void Keys_are_the_name_then_name_hash_occurrence(string name, int occurrence, string key) =>
        Assert.That(DumpTensorNames.KeyFor(name, occurrence), Is.EqualTo(key));

    [TestCase("attn_norm-0", 0)]
    [TestCase("ffn_out-21", 21)]
    [TestCase("Qcur-0", 0)]
    [TestCase("inp_embd", null)]
    [TestCase("node_65", null)]
    [TestCase("cache_k_l0 (view) (permuted)", null)]
    [TestCase("kq-", null)]
    [TestCase("x-1a", null)]
    [TestCase("x-99999999999", null)]
    public void Layers_come_from_a_trailing_dash_number(string name, int? layer) =>
        Assert.That(DumpTensorNames.ParseLayer(name), Is.EqualTo(layer));

    [TestCase(new long[] { 16, 4, 26, 1 }, new long[] { 26, 4, 16 })]
    [TestCase(new long[] { 2048, 1, 1, 1 }, new long[] { 2048 })]
    [TestCase(new long[] { 1, 1, 1, 1 }, new long[] { 1 })]
    [TestCase(new long[] { 1, 7, 1, 1 }, new long[] { 7, 1 })]
    [TestCase(new long[] { 64, 1, 32, 1 }, new long[] { 32, 1, 64 })]
    [TestCase(new long[] { 2, 3, 4, 5 }, new long[] { 5, 4, 3, 2 })]
    [TestCase(new long[] { 4, 0, 1, 1 }, new long[] { 0, 4 })]
    public void The_safetensors_shape_is_ne_without_trailing_ones_reversed(long[] ne, long[] shape) =>
        Assert.That(DumpTensorNames.ShapeFromNe(ne), Is.EqualTo(shape));

    [TestCase("f32", DumpDType.F32)]
    [TestCase("f16", DumpDType.F16)]
    [TestCase("bf16", DumpDType.BF16)]
    [TestCase("i32", DumpDType.I32)]
    [TestCase("i8", DumpDType.I8)]
    [TestCase("F32", DumpDType.F32)]
    [TestCase("q8_0", DumpDType.U8)]
    [TestCase("q4_K", DumpDType.U8)]
    [TestCase("iq2_xxs", DumpDType.U8)]
    public void Ggml_types_map_to_safetensors_dtypes_and_quantized_ones_to_bytes(string ggmlType, DumpDType dtype) =>
        Assert.That(DumpDTypes.FromGgmlType(ggmlType), Is.EqualTo(dtype));

    [Test]
    public void Safetensors_dtype_names_parse_exactly_and_refuse_numbers()
    {
        Assert.Multiple(() =>
        {
            foreach (var d in Enum.GetValues<DumpDType>())
            {
                Assert.That(DumpDTypes.TryParseSafetensorsName(DumpDTypes.ToSafetensorsName(d), out var back) && back == d, Is.True, d.ToString());
            }

            Assert.That(DumpDTypes.TryParseSafetensorsName("1", out _), Is.False);
            Assert.That(DumpDTypes.TryParseSafetensorsName("f32", out _), Is.False);
            Assert.That(DumpDTypes.TryParseSafetensorsName("F8_E4M3", out _), Is.False);
        });
    }

    [TestCase("step-0000", 0)]
    [TestCase("step-0042", 42)]
    [TestCase("step-12345", 12345)]
    [TestCase("step-42", null)]
    [TestCase("step-00042", null)]
    [TestCase("step--001", null)]
    [TestCase("../step-0000", null)]
    public void Step_directories_are_named_step_and_four_digits(string name, int? step) =>
        Assert.That(DumpFormat.ParseStepDirectoryName(name), Is.EqualTo(step));
}

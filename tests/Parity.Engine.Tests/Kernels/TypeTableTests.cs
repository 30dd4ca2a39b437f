using Parity.Engine.Kernels;
using Parity.Gguf;

namespace Parity.Engine.Tests.Kernels;

#pragma warning disable CA1707 // ggml's type names.

/// <summary>The type table: ggml's facts per type, and a replaced row changing that type alone.</summary>
[TestFixture]
public sealed class TypeTableTests
{
    /// <summary>ggml's <c>type_traits_cpu[...].vec_dot_type</c> (ggml-cpu.c) for every weight type the engine reads.</summary>
    [TestCase(GgmlType.F32, GgmlType.F32)]
    [TestCase(GgmlType.F16, GgmlType.F16)]
    [TestCase(GgmlType.BF16, GgmlType.BF16)]
    [TestCase(GgmlType.Q4_0, GgmlType.Q8_0)]
    [TestCase(GgmlType.Q4_1, GgmlType.Q8_1)]
    [TestCase(GgmlType.Q5_0, GgmlType.Q8_0)]
    [TestCase(GgmlType.Q5_1, GgmlType.Q8_1)]
    [TestCase(GgmlType.Q8_0, GgmlType.Q8_0)]
    [TestCase(GgmlType.Q2_K, GgmlType.Q8_K)]
    [TestCase(GgmlType.Q3_K, GgmlType.Q8_K)]
    [TestCase(GgmlType.Q4_K, GgmlType.Q8_K)]
    [TestCase(GgmlType.Q5_K, GgmlType.Q8_K)]
    [TestCase(GgmlType.Q6_K, GgmlType.Q8_K)]
    public void Each_weight_type_has_ggmls_vec_dot_type_and_a_product_for_it(GgmlType type, GgmlType vecDotType)
    {
        var row = GgmlTypeTable.Default[type];
        Assert.That(row.IsWeightType, Is.True);
        Assert.That(row.VecDotType, Is.EqualTo(vecDotType));
        Assert.That(row.VecDot is not null || row.FloatDot is not null, Is.True, "an integer block dot or a float dot");
        if (row.VecDot is not null)
        {
            Assert.That(GgmlTypeTable.Default[vecDotType].FromFloat is not null, Is.True, "the block dot's activations can be made");
        }
    }

    [Test]
    public void The_numbers_are_the_formats_own()
    {
        foreach (var row in GgmlTypeTable.Default.Rows)
        {
            var info = GgmlTypeInfo.Get(row.Type);
            Assert.That((row.BlockSize, row.TypeSize, row.Name), Is.EqualTo((info.BlockSize, info.TypeSize, info.GgmlName)), row.Type.ToString());
        }

        Assert.That(GgmlTypeTable.Default[GgmlType.Q4_K].Name, Is.EqualTo("q4_K"));
    }

    [Test]
    public void A_replaced_row_changes_that_type_alone()
    {
        ToFloatKernel zeros = (_, destination) => destination.Clear();
        var table = GgmlTypeTable.Default.With(GgmlType.Q4_K, row => row with { ToFloat = zeros, ToFloatVector = null });
        Assert.That(table[GgmlType.Q4_K].ToFloat, Is.SameAs(zeros));
        Assert.That(table[GgmlType.Q4_K].VecDot, Is.SameAs(GgmlTypeTable.Default[GgmlType.Q4_K].VecDot));
        Assert.That(table[GgmlType.Q6_K], Is.SameAs(GgmlTypeTable.Default[GgmlType.Q6_K]));
        Assert.That(GgmlTypeTable.Default[GgmlType.Q4_K].ToFloat, Is.Not.SameAs(zeros), "the default table is unchanged");

        var values = new float[256];
        values.AsSpan().Fill(1);
        table[GgmlType.Q4_K].Dequantize(new byte[144], values);
        Assert.That(values, Is.All.Zero);
    }

    [Test]
    public void A_replacement_for_another_type_and_a_type_without_a_row_are_refused_by_name()
    {
        var wrong = Assert.Throws<ArgumentException>(() => GgmlTypeTable.Default.With(GgmlType.Q4_K, _ => GgmlTypeTable.Default[GgmlType.Q6_K]));
        Assert.That(wrong!.Message, Does.Contain("Q4_K").And.Contain("Q6_K"));
        var missing = Assert.Throws<NotSupportedException>(() => _ = GgmlTypeTable.Default[GgmlType.IQ2_XXS]);
        Assert.That(missing!.Message, Does.Contain("IQ2_XXS"));
        Assert.Throws<NotSupportedException>(() => GgmlTypeTable.Default[GgmlType.Q8_K].Dequantize([], new float[256]));
    }
}

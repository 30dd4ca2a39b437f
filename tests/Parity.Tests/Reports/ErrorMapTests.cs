using Parity.Harness.Reports;

namespace Parity.Tests.Reports;

/// <summary>The error map on hand-made tensors: which axes it draws, how it bins, which rows it marks, where the pinpoint is.</summary>
[TestFixture]
public sealed class ErrorMapTests
{
    [Test]
    public void Attention_is_drawn_head_by_token_and_marks_only_the_heads_that_carry_error()
    {
        // kq: [kv 3, token 3, head 4]; heads 1 and 2 are off, the largest error at head 2, token 1, kv 0.
        long[] ne = [3, 3, 4];
        var a = new float[36];
        var b = new float[36];
        a[Index(ne, 0, 0, 1)] = 0.5f;
        a[Index(ne, 0, 1, 2)] = 2f;
        var map = ErrorMapBuilder.From(a, b, ne, ["kv", "token", "head"], [4, 5, 6], "kq-0", 0);

        Assert.That((map.RowLabel, map.ColumnLabel), Is.EqualTo(("head", "token")));
        Assert.That(map.ColumnNames, Is.EqualTo(new[] { "4", "5", "6" }), "token columns are named by position");
        Assert.That(map.MarkedRows, Is.EqualTo(new[] { 1, 2 }));
        Assert.That(map.Pinpoint, Is.EqualTo((2, 1)));
        Assert.That(map.Values[2, 1], Is.EqualTo(2.0));
        Assert.That(map.Values[0, 0], Is.Zero);
    }

    [Test]
    public void Long_channel_rows_are_binned_by_their_maximum_and_error_in_every_row_marks_none()
    {
        long[] ne = [1024, 2, 1];
        var a = new float[2048];
        var b = new float[2048];
        a[Index(ne, 1023, 0, 0)] = 3f;
        a[Index(ne, 8, 1, 0)] = 1f;
        var map = ErrorMapBuilder.From(a, b, ne, ["channel", "token", "-"], [0, 1], "l_out-0", 0);

        Assert.That((map.Rows, map.Columns), Is.EqualTo((2, ErrorMap.MaxColumns)));
        Assert.That(map.ColumnNames[0], Is.EqualTo("0..7"));
        Assert.That(map.ColumnNames[^1], Is.EqualTo("1016..1023"));
        Assert.That(map.Values[0, ErrorMap.MaxColumns - 1], Is.EqualTo(3.0));
        Assert.That(map.Values[1, 1], Is.EqualTo(1.0));
        Assert.That(map.MarkedRows, Is.Empty);
    }

    [Test]
    public void The_same_infinity_on_both_sides_is_exact_and_a_NaN_against_a_number_is_not_finite()
    {
        long[] ne = [2, 1, 1];
        var map = ErrorMapBuilder.From([float.NegativeInfinity, float.NaN], [float.NegativeInfinity, 1f], ne, ["kv", "token", "head"], [0], "kq-0", 0);
        Assert.That(map.Values[0, 0], Is.EqualTo(double.PositiveInfinity));
        var identical = ErrorMapBuilder.From([float.NegativeInfinity, 1f], [float.NegativeInfinity, 1f], ne, ["channel", "token", "-"], [0], "x", 0);
        Assert.That(identical.Pinpoint, Is.Null);
    }

    private static int Index(long[] ne, long i0, long i1, long i2) => (int)(i0 + (ne[0] * (i1 + (ne[1] * i2))));
}

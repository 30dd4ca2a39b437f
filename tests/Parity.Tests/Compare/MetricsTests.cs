using Parity.Harness.Compare;
using Parity.Tests.Support;

namespace Parity.Tests.Compare;

[TestFixture]
public sealed class MetricsTests
{
    [Test]
    public void Nmse_cosine_and_the_location_of_the_largest_error_follow_their_definitions()
    {
        float[] b = [1, 2, 3, 4, 5, 6];
        float[] a = [1, 2, 3, 4, 5, 7];
        var m = TensorComparer.Compare(a, b, ElementView.Identity([3, 2, 1, 1]));
        Assert.That(m.Nmse, Is.EqualTo(1.0 / 91).Within(1e-15), "sum((a-b)^2)/sum(b^2)");
        Assert.That(m.SqnrDb, Is.EqualTo(-10 * Math.Log10(1.0 / 91)).Within(1e-9));
        Assert.That(m.MaxAbsError, Is.EqualTo(1));
        Assert.That(m.MaxAbsErrorAt, Is.EqualTo(new long[] { 2, 1, 0 }), "element 5 of [3, 2] is (i0 2, i1 1)");
        Assert.That(m.OutsideAtolRtol, Is.EqualTo(1));
        Assert.That(m.Cosine, Is.EqualTo(97.0 / Math.Sqrt(104 * 91)).Within(1e-12));
        Assert.That(m.B.Rms, Is.EqualTo(Math.Sqrt(91.0 / 6)).Within(1e-12));
    }

    /// <summary>The vector path against the scalar reference at every row length 0..100 (every tail).</summary>
    [Test]
    public void The_vector_comparer_matches_the_scalar_reference_for_every_row_length()
    {
        var rng = new Random(7);
        for (var length = 0; length <= 100; length++)
        {
            var b = Enumerable.Range(0, length * 3).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
            var a = b.Select(x => x + (float)(rng.NextDouble() * 1e-3)).ToArray();
            var view = ElementView.Identity([length, 3, 1, 1]);
            var vector = TensorComparer.Compare(a, b, view);
            var scalar = ScalarReference(a, b, view);

            Assert.Multiple(() =>
            {
                Assert.That(vector.Nmse, Is.EqualTo(scalar.Nmse).Within(1e-12 * Math.Max(1e-30, scalar.Nmse)), $"length {length}");
                Assert.That(vector.Cosine, Is.EqualTo(scalar.Cosine).Within(1e-12), $"length {length}");
                Assert.That(vector.MaxAbsError, Is.EqualTo(scalar.MaxAbsError), $"length {length}");
                Assert.That(vector.MaxAbsErrorAt, Is.EqualTo(scalar.MaxAbsErrorAt), $"length {length}");
                Assert.That(vector.MaxRelError, Is.EqualTo(scalar.MaxRelError), $"length {length}");
                Assert.That(vector.OutsideAtolRtol, Is.EqualTo(scalar.OutsideAtolRtol), $"length {length}");
                Assert.That((vector.A.Min, vector.A.Max, vector.B.Min, vector.B.Max), Is.EqualTo((scalar.A.Min, scalar.A.Max, scalar.B.Min, scalar.B.Max)), $"length {length}");
            });
        }
    }

    /// <summary>
    /// A contiguous tensor is compared as one run and its flat error index split back into (i0, i1, i2); the same data
    /// through a row-by-row view (an attention view with every cell visible) must give the same metrics.
    /// </summary>
    [Test]
    public void One_run_over_a_contiguous_tensor_matches_the_row_by_row_comparison()
    {
        var rng = new Random(11);
        const int ne0 = 37, ne1 = 5, ne2 = 3;
        var b = Enumerable.Range(0, ne0 * ne1 * ne2).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var a = b.Select(x => x + (float)(rng.NextDouble() * 1e-4)).ToArray();
        a[(2 * ne0 * ne1) + (3 * ne0) + 17] += 0.5f;
        var whole = TensorComparer.Compare(a, b, ElementView.Identity([ne0, ne1, ne2, 1]));
        var rows = TensorComparer.Compare(a, b, ElementView.Attention(ne0, ne1, ne2, ne0, ne0, [.. Enumerable.Repeat(ne0, ne1)]));
        Assert.Multiple(() =>
        {
            Assert.That(whole.MaxAbsErrorAt, Is.EqualTo(new long[] { 17, 3, 2 }));
            Assert.That(rows.MaxAbsErrorAt, Is.EqualTo(whole.MaxAbsErrorAt));
            Assert.That(whole.Elements, Is.EqualTo(rows.Elements));
            Assert.That(whole.Nmse, Is.EqualTo(rows.Nmse).Within(1e-12 * rows.Nmse));
            Assert.That(whole.MaxRelError, Is.EqualTo(rows.MaxRelError));
            Assert.That(whole.OutsideAtolRtol, Is.EqualTo(rows.OutsideAtolRtol));
            Assert.That(whole.A.Mean, Is.EqualTo(rows.A.Mean).Within(1e-15));
        });

        a[ne0 + 2] = float.NaN;
        var withNaN = TensorComparer.Compare(a, b, ElementView.Identity([ne0, ne1, ne2, 1]));
        Assert.That((withNaN.A.NaN, withNaN.MaxAbsErrorAt), Is.EqualTo((1L, new long[] { 2, 1, 0 })), "a NaN is the error, located in its row");
    }

    /// <summary>Bit-identical sides take a shortcut (only one side's sums); it must agree with the scalar reference.</summary>
    [TestCase(7)]
    [TestCase(16)]
    [TestCase(1000)]
    public void Identical_sides_give_the_scalar_references_metrics(int length)
    {
        var rng = new Random(length);
        var b = Enumerable.Range(0, length * 2).Select(_ => (float)((rng.NextDouble() - 0.3) * 100)).ToArray();
        var a = (float[])b.Clone();
        var view = ElementView.Identity([length, 2, 1, 1]);
        var fast = TensorComparer.Compare(a, b, view);
        var scalar = ScalarReference(a, b, view);

        Assert.Multiple(() =>
        {
            Assert.That((fast.Nmse, fast.MaxAbsError, fast.MaxRelError, fast.OutsideAtolRtol, fast.Cosine), Is.EqualTo((0.0, 0.0, 0.0, 0L, scalar.Cosine)));
            Assert.That(fast.Cosine, Is.EqualTo(1).Within(1e-15));
            Assert.That(fast.MaxAbsErrorAt, Is.EqualTo(scalar.MaxAbsErrorAt));
            Assert.That(fast.A, Is.EqualTo(fast.B));
            Assert.That(fast.A.Rms, Is.EqualTo(scalar.A.Rms).Within(1e-12 * scalar.A.Rms));
            Assert.That(fast.A.Mean, Is.EqualTo(scalar.A.Mean).Within(1e-12 * Math.Abs(scalar.A.Mean)));
            Assert.That((fast.A.Min, fast.A.Max), Is.EqualTo((scalar.A.Min, scalar.A.Max)));
        });

        a[length - 1] = b[length - 1] = float.NaN;
        var withNaN = TensorComparer.Compare(a, b, view);
        Assert.That((withNaN.A.NaN, withNaN.B.NaN, withNaN.MaxAbsErrorAt), Is.EqualTo((1L, 1L, new long[] { length - 1, 0, 0 })), "a NaN on both sides is still an error");
    }

    [TestCase(4)]
    [TestCase(20)]
    public void NaN_and_Inf_are_counted_and_fail_every_bound(int length)
    {
        var b = Enumerable.Range(1, length).Select(i => (float)i).ToArray();
        var a = (float[])b.Clone();
        a[1] = float.NaN;
        a[2] = float.PositiveInfinity;
        var m = TensorComparer.Compare(a, b, ElementView.Identity([length, 1, 1, 1]));
        Assert.That((m.A.NaN, m.A.Inf, m.B.NaN, m.B.Inf), Is.EqualTo((1L, 1L, 0L, 0L)));
        Assert.That(m.MaxAbsErrorAt, Is.EqualTo(new long[] { 1, 0, 0 }), "the NaN is where the error is");
        var rule = new ToleranceRule { Pattern = "*", Max = 1e3, Reason = "test" };
        Assert.That(rule.Passes(m), Is.False);
    }

    [Test]
    public void Attention_views_skip_kv_padding_and_masked_cells()
    {
        // 2 tokens at positions 0 and 1, 1 head; A has 2 cells per row, B is padded to 4.
        float[] a = [1, 99, 2, 3];
        float[] b = [1, -5, 0, 0, 2, 3, 0, 0];
        var m = TensorComparer.Compare(a, b, ElementView.Attention(2, 2, 1, 2, 4, [0, 1]));
        Assert.That(m.Elements, Is.EqualTo(3), "token 0 sees cell 0 only; token 1 sees cells 0 and 1");
        Assert.That(m.Nmse, Is.Zero);
    }

    [Test]
    public void Logits_comparison_gives_ranks_overlap_and_kl()
    {
        float[] a = [0, 5, 1, 4, 2, 3];
        float[] b = [0, 4, 1, 5, 2, 3];
        var l = LogitsComparison.Compute(0, a, b);
        Assert.Multiple(() =>
        {
            Assert.That((l.TopA, l.TopB), Is.EqualTo((1, 3)));
            Assert.That(l.RankOfTopAInB, Is.EqualTo(2));
            Assert.That(l.RankOfTopBInA, Is.EqualTo(2));
            Assert.That(l.Top5Overlap, Is.EqualTo(5));
            Assert.That(l.KlDivergence, Is.GreaterThan(0));
            Assert.That(LogitsComparison.Compute(0, b, b).KlDivergence, Is.Zero.Within(1e-12));
        });
    }

    [Test]
    public void A_tolerance_file_without_reasons_is_refused_naming_the_file()
    {
        using var temp = new TempDirectory();
        var path = temp.File("bad.json");
        File.WriteAllText(path, """{ "formatVersion": 1, "rules": [ { "pattern": "*", "max": 1e-3, "reason": "" } ] }""");
        Assert.That(() => TolerancePolicy.Load(path), Throws.TypeOf<InvalidDataException>().With.Message.Contains(path).And.Message.Contains("reason"));
        File.WriteAllText(path, "{ not json");
        Assert.That(() => TolerancePolicy.Load(path), Throws.TypeOf<InvalidDataException>().With.Message.Contains(path));
    }

    [Test]
    public void The_first_matching_rule_decides_by_name_weight_type_and_cache()
    {
        var policy = TolerancePolicy.Load(TolerancePolicy.DefaultPath);
        Assert.That(policy.RuleFor("kq-0", new("F32", "f32")).Max, Is.EqualTo(1e-10));
        Assert.That(policy.RuleFor("kq-0", new("F32", "f16")).Max, Is.EqualTo(2e-6));
        Assert.That(policy.RuleFor("kq-0", new("F32", "f16", FlashAttention: true)).Name, Is.EqualTo("f32-weights-f16-cache-flash"), "llama.cpp's flash attention accumulates V in F16");
        Assert.That(policy.RuleFor("kq-0", new("F32", "f32", FlashAttention: true)).Max, Is.EqualTo(1e-10), "an F32 cache keeps F32 accumulators");
        Assert.That(policy.RuleFor("ffn_out-3", new("Q4_K_M", "f16")).Reason, Does.Contain("Q8_K"));
        Assert.That(policy.RuleFor("ffn_out-3", new("Q4_K_M", "f16", "ggml")).Name, Is.EqualTo("kquants-ggml"), "ggml numerics without an exactness claim: the tolerance");
        Assert.That(policy.RuleFor("ffn_out-3", new("Q4_K_M", "f16", "ggml", CandidateExact: true)).IsIdentity, Is.True, "a candidate that claims this reference: identity");
        Assert.That(policy.Rules.All(r => r.Name is not null), Is.True, "every rule has a name the report can cite");
        Assert.That(policy.Rules.All(r => r.Reason.Length > 20), Is.True, "every bound says why");
    }

    [Test]
    public void Differing_values_and_the_largest_ulp_distance_are_counted_and_located()
    {
        var b = Enumerable.Range(0, 40).Select(i => (float)Math.Sin(i) * 3).ToArray();
        var a = (float[])b.Clone();
        a[3] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(b[3]) + 1);
        a[22] = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(b[22]) - 5);
        var view = ElementView.Identity([20, 2, 1, 1]);
        var vector = TensorComparer.Compare(a, b, view);
        var scalar = ScalarReference(a, b, view);
        Assert.Multiple(() =>
        {
            Assert.That((vector.DifferingValues, vector.MaxUlp, vector.MaxUlpAt), Is.EqualTo((2L, 5L, new long[] { 2, 1, 0 })));
            Assert.That((scalar.DifferingValues, scalar.MaxUlp, scalar.MaxUlpAt), Is.EqualTo((vector.DifferingValues, vector.MaxUlp, vector.MaxUlpAt)));
            Assert.That(vector.Identical, Is.False);
            Assert.That(TensorComparer.Compare(b, b, view).Identical, Is.True);
        });
    }

    [Test]
    public void Ulp_distance_counts_across_zero_and_between_signs()
    {
        Assert.That(TensorComparer.UlpDistance(0f, -0f), Is.EqualTo(1), "-0 and +0 differ in a bit");
        Assert.That(TensorComparer.UlpDistance(float.Epsilon, -float.Epsilon), Is.EqualTo(3));
        Assert.That(TensorComparer.UlpDistance(1f, BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(1f) + 7)), Is.EqualTo(7));
        Assert.That(TensorComparer.UlpDistance(-2f, -2f), Is.Zero);
    }

    /// <summary>The vector path's differing count and ulp maximum against the scalar reference at every row length.</summary>
    [Test]
    public void The_vector_ulp_statistics_match_the_scalar_reference_for_every_row_length()
    {
        var rng = new Random(3);
        for (var length = 1; length <= 70; length++)
        {
            var b = Enumerable.Range(0, length * 2).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
            var a = b.Select(x => rng.Next(4) == 0 ? BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(x) + rng.Next(-9, 10)) : x).ToArray();
            var view = ElementView.Identity([length, 2, 1, 1]);
            var vector = TensorComparer.Compare(a, b, view);
            var scalar = ScalarReference(a, b, view);
            Assert.That((vector.DifferingValues, vector.MaxUlp, vector.MaxUlpAt), Is.EqualTo((scalar.DifferingValues, scalar.MaxUlp, scalar.MaxUlpAt)), $"length {length}");
        }
    }

    [TestCase(5)]
    [TestCase(40)]
    public void A_NaN_on_the_reference_side_alone_is_a_non_finite_finding_not_agreement(int length)
    {
        var b = Enumerable.Range(1, length).Select(i => (float)i).ToArray();
        var a = (float[])b.Clone();
        b[length - 2] = float.NaN;
        var m = TensorComparer.Compare(a, b, ElementView.Identity([length, 1, 1, 1]));
        Assert.Multiple(() =>
        {
            Assert.That((m.B.NaN, m.NonFiniteMismatch, m.BothNonFinite), Is.EqualTo((1L, 1L, 0L)));
            Assert.That(m.FirstNonFiniteAt, Is.EqualTo(new long[] { length - 2, 0, 0 }));
            Assert.That(double.IsNaN(m.Nmse), Is.True, "no statistic over a NaN reads as agreement");
            Assert.That(new ToleranceRule { Pattern = "*", Max = 1e3, Reason = "test" }.Passes(m), Is.False);
            Assert.That(new ToleranceRule { Pattern = "*", Statistic = ToleranceRule.IdenticalStatistic, Reason = "test" }.Passes(m), Is.False);
        });
    }

    [Test]
    public void NaN_at_the_same_place_on_both_sides_is_both_non_finite_and_still_fails()
    {
        float[] b = [1, 2, float.NaN, float.PositiveInfinity, 5];
        var a = (float[])b.Clone();
        var m = TensorComparer.Compare(a, b, ElementView.Identity([5, 1, 1, 1]));
        Assert.That((m.BothNonFinite, m.NonFiniteMismatch, m.DifferingValues), Is.EqualTo((2L, 0L, 0L)));
        Assert.That(m.Identical, Is.False);
        Assert.That(DumpDiffer.NonFiniteNote(m, null), Does.Contain("both non-finite at the same 2 place(s)"));
    }

    private static TensorMetrics ScalarReference(float[] a, float[] b, ElementView view)
    {
        TensorComparer.ForceScalar = true;
        try
        {
            return TensorComparer.Compare(a, b, view);
        }
        finally
        {
            TensorComparer.ForceScalar = false;
        }
    }
}

using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Parity.Harness.Compare;

/// <summary>Computes <see cref="TensorMetrics"/> in one pass over the compared elements, accumulating in double.</summary>
public static class TensorComparer
{
    public const double DefaultAtol = 1e-5;
    public const double DefaultRtol = 1e-3;

    /// <summary>Test switch: use the scalar reference everywhere (the vector path is tested against it).</summary>
    internal static bool ForceScalar { get; set; }

    /// <summary>
    /// Compiles the comparison's hot paths by running them once on a small row (a one-shot diff calls this on a worker
    /// while its main thread reads manifests, so the JIT's work overlaps instead of delaying the first tensor).
    /// </summary>
    public static void Warm()
    {
        var a = new float[72];
        var b = new float[72];
        for (var i = 0; i < a.Length; i++)
        {
            (a[i], b[i]) = (i, i + 0.5f);
        }

        Compare(a, b, ElementView.Identity([72, 1, 1, 1]));
    }

    public static TensorMetrics Compare(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ElementView view, double atol = DefaultAtol, double rtol = DefaultRtol)
    {
        ArgumentNullException.ThrowIfNull(view);
        var acc = new Accumulator();
        if (view.IsContiguous && view.Elements <= a.Length && view.Elements <= b.Length)
        {
            // Every row follows the previous one on both sides: one run, so short rows (16-cell attention rows, 64-wide
            // heads) do not each pay for a call and a horizontal reduction. The flat error index is split into (i0, i1,
            // i2) at the end.
            var n = (int)view.Elements;
            acc.AddRow(a[..n], b[..n], 0, 0, atol, rtol);
            return acc.Result(view.Ne[0], view.Ne[1]);
        }

        unsafe
        {
            fixed (float* pa = a)
            fixed (float* pb = b)
            {
                var ap = pa;
                var bp = pb;
                long lenA = a.Length, lenB = b.Length;
                view.ForEachRow((startA, startB, length, i1, i2) =>
                {
                    if (startA + length > lenA || startB + length > lenB)
                    {
                        throw new InvalidDataException($"row ({i1}, {i2}) lies outside the data ({lenA} and {lenB} elements)");
                    }

                    acc.AddRow(new ReadOnlySpan<float>(ap + startA, (int)length), new ReadOnlySpan<float>(bp + startB, (int)length), i1, i2, atol, rtol);
                });
            }
        }

        return acc.Result();
    }

    /// <summary>
    /// Units in the last place between two finite floats: their bit patterns as integers ordered like the floats
    /// (negative values' magnitude bits flipped), subtracted; 0 exactly when the bits are equal, 1 between -0 and +0.
    /// </summary>
    public static long UlpDistance(float a, float b) => Math.Abs(Ordered(a) - Ordered(b));

    private static long Ordered(float x)
    {
        var bits = BitConverter.SingleToInt32Bits(x);
        return bits ^ ((bits >> 31) & 0x7FFFFFFF);
    }

    private sealed class Accumulator
    {
        private long _n;
        private double _sumSqErr;
        private double _sumSqA;
        private double _sumSqB;
        private double _dot;
        private double _sumAbsErr;
        private double _maxAbsErr;
        private long[] _maxAt = [0, 0, 0];
        private double _maxRel;
        private long _outside;
        private double _sumA;
        private double _sumB;
        private double _minA = double.PositiveInfinity;
        private double _maxA = double.NegativeInfinity;
        private double _minB = double.PositiveInfinity;
        private double _maxB = double.NegativeInfinity;
        private long _nanA;
        private long _nanB;
        private long _infA;
        private long _infB;
        private long _differing;
        private long _maxUlp;
        private long[] _maxUlpAt = [0, 0, 0];
        private long _bothNonFinite;
        private long _nonFiniteMismatch;
        private long[]? _firstNonFiniteAt;

        /// <summary>One row: the vector path where the hardware has 256-bit vectors, else the scalar reference.</summary>
        // A diff is a short-lived process: compile the hot loops fully at once rather than tiering up mid-run.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public void AddRow(ReadOnlySpan<float> a, ReadOnlySpan<float> b, long i1, long i2, double atol, double rtol)
        {
            if (Vector256.IsHardwareAccelerated && a.Length >= 16 && !ForceScalar)
            {
                if (!MemoryMarshal.AsBytes(a).SequenceEqual(MemoryMarshal.AsBytes(b)) || !AddIdenticalRowVector256(a))
                {
                    AddRowVector256(a, b, i1, i2, atol, rtol);
                }
            }
            else
            {
                AddRowScalar(a, b, i1, i2, atol, rtol);
            }
        }

        /// <summary>
        /// A row whose two sides are bit-identical (what ggml-mode parity produces for almost every row): every error
        /// statistic is zero and both sides' statistics are the same, so only the sums of x and x^2 and the extrema are
        /// computed, a quarter of the full path's work. Returns false, changing nothing, when the row holds a NaN or an
        /// Inf (its error is then not zero: the full path counts and locates it).
        /// </summary>
        // A diff is a short-lived process: compile the hot loops fully at once rather than tiering up mid-run.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private bool AddIdenticalRowVector256(ReadOnlySpan<float> a)
        {
            var sum = Vector256<double>.Zero;
            var sumSq = Vector256<double>.Zero;
            var min = Vector256.Create(float.PositiveInfinity);
            var max = Vector256.Create(float.NegativeInfinity);
            ref var ra = ref MemoryMarshal.GetReference(a);
            var n = a.Length - (a.Length % 8);
            for (var i = 0; i < n; i += 8)
            {
                var f = Vector256.LoadUnsafe(ref ra, (nuint)i);
                min = Vector256.Min(min, f);
                max = Vector256.Max(max, f);
                var (lo, hi) = Vector256.Widen(f);
                sum += lo + hi;
                sumSq += (lo * lo) + (hi * hi);
            }

            double rowSum = Vector256.Sum(sum), rowSq = Vector256.Sum(sumSq), rowMin = HorizontalMin(min), rowMax = HorizontalMax(max);
            for (var i = n; i < a.Length; i++)
            {
                double x = a[i];
                rowSum += x;
                rowSq += x * x;
                rowMin = Math.Min(rowMin, x);
                rowMax = Math.Max(rowMax, x);
            }

            // Finite squares sum to a finite double (see AddRowVector256), so this tests every element at once.
            if (!double.IsFinite(rowSq))
            {
                return false;
            }

            _n += a.Length;
            Fold(0, rowSq, rowSq, rowSq, 0, rowSum, rowSum);
            (_minA, _maxA) = (Math.Min(_minA, rowMin), Math.Max(_maxA, rowMax));
            (_minB, _maxB) = (Math.Min(_minB, rowMin), Math.Max(_maxB, rowMax));
            return true;
        }

        /// <summary>
        /// The same statistics eight floats at a time (each widened to double for the sums): sums in a different
        /// order than the scalar reference (double precision, so the difference is far below any bound), extrema,
        /// counts and the error location identical.
        /// </summary>
        // A diff is a short-lived process: compile the hot loops fully at once rather than tiering up mid-run.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private void AddRowVector256(ReadOnlySpan<float> a, ReadOnlySpan<float> b, long i1, long i2, double atol, double rtol)
        {
            var sumSqErr = Vector256<double>.Zero;
            var sumSqA = Vector256<double>.Zero;
            var sumSqB = Vector256<double>.Zero;
            var dot = Vector256<double>.Zero;
            var sumAbs = Vector256<double>.Zero;
            var sumA = Vector256<double>.Zero;
            var sumB = Vector256<double>.Zero;
            var maxAbs = Vector256<double>.Zero;
            var maxRel = Vector256<double>.Zero;
            var minA = Vector256.Create(float.PositiveInfinity);
            var maxA = Vector256.Create(float.NegativeInfinity);
            var minB = minA;
            var maxB = maxA;
            var outside = Vector256<long>.Zero;
            var differing = Vector256<int>.Zero;
            var maxUlp = Vector256<long>.Zero;
            var vAtol = Vector256.Create(atol);
            var vRtol = Vector256.Create(rtol);
            var tiny = Vector256.Create(1e-30);
            ref var ra = ref MemoryMarshal.GetReference(a);
            ref var rb = ref MemoryMarshal.GetReference(b);
            var n = a.Length - (a.Length % 8);
            for (var i = 0; i < n; i += 8)
            {
                var fa = Vector256.LoadUnsafe(ref ra, (nuint)i);
                var fb = Vector256.LoadUnsafe(ref rb, (nuint)i);
                minA = Vector256.Min(minA, fa);
                maxA = Vector256.Max(maxA, fa);
                minB = Vector256.Min(minB, fb);
                maxB = Vector256.Max(maxB, fb);
                var ia = fa.AsInt32();
                var ib = fb.AsInt32();
                differing -= ~Vector256.Equals(ia, ib);
                var (oalo, oahi) = Vector256.Widen(Ordered(ia));
                var (oblo, obhi) = Vector256.Widen(Ordered(ib));
                maxUlp = Vector256.Max(maxUlp, Vector256.Max(Vector256.Abs(oalo - oblo), Vector256.Abs(oahi - obhi)));
                var (alo, ahi) = Vector256.Widen(fa);
                var (blo, bhi) = Vector256.Widen(fb);

                // Written out for both halves (a local function here was not inlined and ran in tier-0 code: a quarter
                // of a command-line diff).
                var x = alo;
                var y = blo;
                for (var half = 0; half < 2; half++)
                {
                    var d = x - y;
                    var ad = Vector256.Abs(d);
                    var ay = Vector256.Abs(y);
                    sumSqErr += d * d;
                    sumSqA += x * x;
                    sumSqB += y * y;
                    dot += x * y;
                    sumAbs += ad;
                    sumA += x;
                    sumB += y;
                    maxAbs = Vector256.Max(maxAbs, ad);
                    maxRel = Vector256.Max(maxRel, Vector256.ConditionalSelect(Vector256.GreaterThan(ay, tiny), ad / ay, Vector256<double>.Zero));
                    var within = Vector256.LessThanOrEqual(ad, vAtol + (vRtol * ay));
                    outside -= (~within).AsInt64();
                    x = ahi;
                    y = bhi;
                }
            }

            // A float squared cannot overflow a double (nor can 2^31 such squares summed), so the squares' sums are
            // finite exactly when every input is: no per-element NaN/Inf test is needed on the fast path. A row with a
            // NaN or an Inf is rare and goes to the scalar reference whole, which keeps non-finite values out of the ulp
            // statistics.
            var rowSqA = Vector256.Sum(sumSqA);
            var rowSqB = Vector256.Sum(sumSqB);
            if (!double.IsFinite(rowSqA) || !double.IsFinite(rowSqB))
            {
                AddRowScalar(a, b, i1, i2, atol, rtol);
                return;
            }

            Fold(Vector256.Sum(sumSqErr), rowSqA, rowSqB, Vector256.Sum(dot), Vector256.Sum(sumAbs), Vector256.Sum(sumA), Vector256.Sum(sumB));
            _minA = Math.Min(_minA, HorizontalMin(minA));
            _maxA = Math.Max(_maxA, HorizontalMax(maxA));
            _minB = Math.Min(_minB, HorizontalMin(minB));
            _maxB = Math.Max(_maxB, HorizontalMax(maxB));
            _maxRel = Math.Max(_maxRel, HorizontalMax(maxRel));
            _outside += Vector256.Sum(outside);
            _differing += Vector256.Sum(differing);
            _n += n;
            var rowMax = HorizontalMax(maxAbs);
            if (rowMax > _maxAbsErr)
            {
                // Rare: this row holds a new largest error; find its first position exactly as the scalar path does.
                for (var i = 0; i < n; i++)
                {
                    if (Math.Abs((double)a[i] - b[i]) == rowMax)
                    {
                        _maxAbsErr = rowMax;
                        _maxAt = [i, i1, i2];
                        break;
                    }
                }
            }

            var rowUlp = Math.Max(Math.Max(maxUlp[0], maxUlp[1]), Math.Max(maxUlp[2], maxUlp[3]));
            if (rowUlp > _maxUlp)
            {
                for (var i = 0; i < n; i++)
                {
                    if (UlpDistance(a[i], b[i]) == rowUlp)
                    {
                        _maxUlp = rowUlp;
                        _maxUlpAt = [i, i1, i2];
                        break;
                    }
                }
            }

            if (n < a.Length)
            {
                AddRowScalar(a[n..], b[n..], i1, i2, atol, rtol, n);
            }
        }

        /// <summary>
        /// Float bits as integers ordered like the floats (negative values' magnitude bits flipped), so the distance of
        /// two finite floats in units in the last place is the difference of their images; -0 and +0 are one apart.
        /// </summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> Ordered(Vector256<int> bits) => bits ^ ((bits >> 31) & Vector256.Create(0x7FFFFFFF));

        private static long[] Split(long flat, long ne0, long ne1) => [flat % ne0, flat / ne0 % ne1, flat / (ne0 * ne1)];

        private void Fold(double sumSqErr, double sumSqA, double sumSqB, double dot, double sumAbs, double sumA, double sumB)
        {
            _sumSqErr += sumSqErr;
            _sumSqA += sumSqA;
            _sumSqB += sumSqB;
            _dot += dot;
            _sumAbsErr += sumAbs;
            _sumA += sumA;
            _sumB += sumB;
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private static double HorizontalMax(Vector256<double> v) => Math.Max(Math.Max(v[0], v[1]), Math.Max(v[2], v[3]));

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private static double HorizontalMax(Vector256<float> v)
        {
            var m = v[0];
            for (var i = 1; i < 8; i++)
            {
                m = Math.Max(m, v[i]);
            }

            return m;
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        private static double HorizontalMin(Vector256<float> v)
        {
            var m = v[0];
            for (var i = 1; i < 8; i++)
            {
                m = Math.Min(m, v[i]);
            }

            return m;
        }

        /// <summary>The scalar reference: every running value in a local so the loop runs from registers.</summary>
        // A diff is a short-lived process: compile the hot loops fully at once rather than tiering up mid-run.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        public void AddRowScalar(ReadOnlySpan<float> a, ReadOnlySpan<float> b, long i1, long i2, double atol, double rtol, int offset = 0)
        {
            double sumSqErr = 0, sumSqA = 0, sumSqB = 0, dot = 0, sumAbsErr = 0, sumA = 0, sumB = 0;
            double minA = _minA, maxA = _maxA, minB = _minB, maxB = _maxB, maxRel = _maxRel, maxAbs = _maxAbsErr;
            long outside = 0, maxAt = -1, differing = 0, maxUlp = _maxUlp, maxUlpAt = -1;
            var nonFinite = false;
            for (var i = 0; i < a.Length; i++)
            {
                double x = a[i];
                double y = b[i];
                var d = x - y;
                var ad = d < 0 ? -d : d;
                var ay = y < 0 ? -y : y;
                sumSqErr += d * d;
                sumSqA += x * x;
                sumSqB += y * y;
                dot += x * y;
                sumAbsErr += ad;
                sumA += x;
                sumB += y;
                minA = x < minA ? x : minA;
                maxA = x > maxA ? x : maxA;
                minB = y < minB ? y : minB;
                maxB = y > maxB ? y : maxB;
                if (ad > maxAbs)
                {
                    maxAbs = ad;
                    maxAt = i + offset;
                }

                if (ay > 1e-30 && ad > maxRel * ay)
                {
                    maxRel = ad / ay;
                }

                if (!(ad <= atol + (rtol * ay)))
                {
                    outside++;
                    nonFinite |= !double.IsFinite(d);
                }

                if (BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i]))
                {
                    differing++;
                    var ulp = float.IsFinite(a[i]) && float.IsFinite(b[i]) ? UlpDistance(a[i], b[i]) : 0;
                    if (ulp > maxUlp)
                    {
                        maxUlp = ulp;
                        maxUlpAt = i + offset;
                    }
                }
            }

            _n += a.Length;
            _sumSqErr += sumSqErr;
            _sumSqA += sumSqA;
            _sumSqB += sumSqB;
            _dot += dot;
            _sumAbsErr += sumAbsErr;
            _sumA += sumA;
            _sumB += sumB;
            (_minA, _maxA, _minB, _maxB, _maxRel) = (minA, maxA, minB, maxB, maxRel);
            _outside += outside;
            _differing += differing;
            if (maxAt >= 0)
            {
                _maxAbsErr = maxAbs;
                _maxAt = [maxAt, i1, i2];
            }

            if (maxUlpAt >= 0)
            {
                _maxUlp = maxUlp;
                _maxUlpAt = [maxUlpAt, i1, i2];
            }

            if (nonFinite)
            {
                CountNonFinite(a, b, i1, i2, offset);
            }
        }

        /// <summary>
        /// Rare path: NaN and Inf counts, the first non-finite place, whether the two sides are non-finite at the same
        /// places with the same kind (NaN, +Inf, -Inf), and a NaN error location (NaN never compares greater).
        /// </summary>
        // A diff is a short-lived process: compile the hot loops fully at once rather than tiering up mid-run.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private void CountNonFinite(ReadOnlySpan<float> a, ReadOnlySpan<float> b, long i1, long i2, int offset = 0)
        {
            for (var i = 0; i < a.Length; i++)
            {
                _nanA += float.IsNaN(a[i]) ? 1 : 0;
                _infA += float.IsInfinity(a[i]) ? 1 : 0;
                _nanB += float.IsNaN(b[i]) ? 1 : 0;
                _infB += float.IsInfinity(b[i]) ? 1 : 0;
                if (!float.IsFinite(a[i]) || !float.IsFinite(b[i]))
                {
                    _firstNonFiniteAt ??= [i + offset, i1, i2];
                    var sameKind = (float.IsNaN(a[i]) && float.IsNaN(b[i])) || a[i] == b[i];
                    _bothNonFinite += sameKind ? 1 : 0;
                    _nonFiniteMismatch += sameKind ? 0 : 1;
                }

                if (float.IsNaN(a[i] - b[i]) && !double.IsNaN(_maxAbsErr))
                {
                    _maxAbsErr = double.NaN;
                    _maxAt = [i + offset, i1, i2];
                }
            }
        }

        /// <summary>The metrics; a flat run's error location (<paramref name="ne0"/> > 0) is split into row coordinates.</summary>
        public TensorMetrics Result(long ne0 = 0, long ne1 = 0)
        {
            if (ne0 > 0)
            {
                _maxAt = Split(_maxAt[0], ne0, ne1);
                _maxUlpAt = Split(_maxUlpAt[0], ne0, ne1);
                _firstNonFiniteAt = _firstNonFiniteAt is null ? null : Split(_firstNonFiniteAt[0], ne0, ne1);
            }

            var n = Math.Max(1, _n);

            // Non-finite values poison the sums (NaN > 0 is false, which once read as "no error"): they are reported by
            // their own counts, and the statistics say NaN rather than anything that could pass a bound.
            var nonFinite = _nanA + _nanB + _infA + _infB > 0;
            var nmse = nonFinite ? double.NaN : _sumSqB > 0 ? _sumSqErr / _sumSqB : (_sumSqErr > 0 ? double.PositiveInfinity : 0);
            var cos = nonFinite ? double.NaN : _sumSqA > 0 && _sumSqB > 0 ? _dot / Math.Sqrt(_sumSqA * _sumSqB) : (_sumSqA == _sumSqB ? 1 : 0);
            return new TensorMetrics
            {
                Elements = _n,
                Nmse = nmse,
                Cosine = cos,
                MaxAbsError = Math.Max(0, _maxAbsErr),
                MaxAbsErrorAt = _maxAt,
                MeanAbsError = _sumAbsErr / n,
                MaxRelError = _maxRel,
                OutsideAtolRtol = _outside,
                DifferingValues = _differing,
                MaxUlp = _maxUlp,
                MaxUlpAt = _maxUlpAt,
                BothNonFinite = _bothNonFinite,
                NonFiniteMismatch = _nonFiniteMismatch,
                FirstNonFiniteAt = _firstNonFiniteAt,
                A = new SideStats(Math.Sqrt(_sumSqA / n), _sumA / n, _minA, _maxA, _nanA, _infA),
                B = new SideStats(Math.Sqrt(_sumSqB / n), _sumB / n, _minB, _maxB, _nanB, _infB),
            };
        }
    }
}

namespace Parity.Harness.Compare;

/// <summary>Computes <see cref="TensorMetrics"/> in one pass over the compared elements, accumulating in double.</summary>
public static class TensorComparer
{
    public const double DefaultAtol = 1e-5;
    public const double DefaultRtol = 1e-3;

    public static TensorMetrics Compare(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ElementView view, double atol = DefaultAtol, double rtol = DefaultRtol)
    {
        ArgumentNullException.ThrowIfNull(view);
        var acc = new Accumulator();
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

        /// <summary>One row, with every running value in a local so the loop runs from registers.</summary>
        public void AddRow(ReadOnlySpan<float> a, ReadOnlySpan<float> b, long i1, long i2, double atol, double rtol)
        {
            double sumSqErr = 0, sumSqA = 0, sumSqB = 0, dot = 0, sumAbsErr = 0, sumA = 0, sumB = 0;
            double minA = _minA, maxA = _maxA, minB = _minB, maxB = _maxB, maxRel = _maxRel, maxAbs = _maxAbsErr;
            long outside = 0, maxAt = -1;
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
                    maxAt = i;
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
            if (maxAt >= 0)
            {
                _maxAbsErr = maxAbs;
                _maxAt = [maxAt, i1, i2];
            }

            if (nonFinite)
            {
                CountNonFinite(a, b, i1, i2);
            }
        }

        /// <summary>Rare path: NaN and Inf counts, and a NaN error location (NaN never compares greater).</summary>
        private void CountNonFinite(ReadOnlySpan<float> a, ReadOnlySpan<float> b, long i1, long i2)
        {
            for (var i = 0; i < a.Length; i++)
            {
                _nanA += float.IsNaN(a[i]) ? 1 : 0;
                _infA += float.IsInfinity(a[i]) ? 1 : 0;
                _nanB += float.IsNaN(b[i]) ? 1 : 0;
                _infB += float.IsInfinity(b[i]) ? 1 : 0;
                if (float.IsNaN(a[i] - b[i]) && !double.IsNaN(_maxAbsErr))
                {
                    _maxAbsErr = double.NaN;
                    _maxAt = [i, i1, i2];
                }
            }
        }

        public TensorMetrics Result()
        {
            var n = Math.Max(1, _n);
            var nmse = _sumSqB > 0 ? _sumSqErr / _sumSqB : (_sumSqErr > 0 ? double.PositiveInfinity : 0);
            var cos = _sumSqA > 0 && _sumSqB > 0 ? _dot / Math.Sqrt(_sumSqA * _sumSqB) : (_sumSqA == _sumSqB ? 1 : 0);
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
                A = new SideStats(Math.Sqrt(_sumSqA / n), _sumA / n, _minA, _maxA, _nanA, _infA),
                B = new SideStats(Math.Sqrt(_sumSqB / n), _sumB / n, _minB, _maxB, _nanB, _infB),
            };
        }
    }
}

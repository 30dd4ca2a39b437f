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
                view.ForEach((ia, ib, i0, i1, i2) =>
                {
                    if (ia >= lenA || ib >= lenB)
                    {
                        throw new InvalidDataException($"element ({i0}, {i1}, {i2}) lies outside the data ({lenA} and {lenB} elements)");
                    }

                    acc.Add(ap[ia], bp[ib], i0, i1, i2, atol, rtol);
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
        private double _maxAbsErr = -1;
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

        public void Add(double a, double b, long i0, long i1, long i2, double atol, double rtol)
        {
            _n++;
            if (double.IsNaN(a))
            {
                _nanA++;
            }
            else if (double.IsInfinity(a))
            {
                _infA++;
            }

            if (double.IsNaN(b))
            {
                _nanB++;
            }
            else if (double.IsInfinity(b))
            {
                _infB++;
            }

            var d = a - b;
            var ad = Math.Abs(d);
            _sumSqErr += d * d;
            _sumSqA += a * a;
            _sumSqB += b * b;
            _dot += a * b;
            _sumAbsErr += ad;
            _sumA += a;
            _sumB += b;
            _minA = Math.Min(_minA, a);
            _maxA = Math.Max(_maxA, a);
            _minB = Math.Min(_minB, b);
            _maxB = Math.Max(_maxB, b);
            if (ad > _maxAbsErr || double.IsNaN(ad))
            {
                _maxAbsErr = ad;
                _maxAt = [i0, i1, i2];
            }

            if (Math.Abs(b) > 1e-30)
            {
                _maxRel = Math.Max(_maxRel, ad / Math.Abs(b));
            }

            if (!(ad <= atol + (rtol * Math.Abs(b))))
            {
                _outside++;
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

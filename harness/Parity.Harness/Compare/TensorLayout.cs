using System.Globalization;
using System.Text.Json;

namespace Parity.Harness.Compare;

/// <summary>
/// How a candidate lays out a tensor that stands for a llama.cpp tensor, declared in its name map, so the values are
/// compared in llama.cpp's layout: first <see cref="Permute"/> its axes, then <see cref="Ne"/> reshapes, then
/// <see cref="Pairing"/> reorders each row of RoPE pairs. A candidate's f16 or bf16 values are widened to f32 on
/// reading whatever the map says. <see cref="Invert"/> takes llama.cpp's values back into the candidate's layout, for
/// teacher forcing.
/// </summary>
/// <param name="Permute">Axis i of the result is the candidate's axis <c>Permute[i]</c> (ggml order: axis 0 varies fastest); null keeps the order.</param>
/// <param name="Ne">The result's shape after the permutation, with the same element count; null keeps it.</param>
/// <param name="Pairing">"neox": the candidate's rows hold RoPE pairs as (i, i + n/2) (transformers' rotate_half layout), llama's NORM pairing holds them as (2i, 2i + 1).</param>
public sealed record TensorLayout(IReadOnlyList<int>? Permute, IReadOnlyList<long>? Ne, string? Pairing)
{
    public const string NeoxPairing = "neox";

    /// <summary>The candidate's values and <c>ne</c> in llama.cpp's layout; throws naming the rule when the shapes do not fit.</summary>
    public (float[] Values, long[] Ne) Apply(ReadOnlySpan<float> values, IReadOnlyList<long> ne, string where)
    {
        var shape = Shape(ne, where);
        var permuted = Permute is null ? values.ToArray() : Permuted(values, ne, Permute, where).Values;
        return (Pairing == NeoxPairing ? Interleaved(permuted, (int)shape[0], where) : permuted, shape);
    }

    /// <summary>The <c>ne</c> a candidate tensor of <paramref name="ne"/> has in llama.cpp's layout, without touching its values.</summary>
    public long[] Shape(IReadOnlyList<long> ne, string where)
    {
        var shape = Permute is null ? [.. ne] : Aligned(Permute, ne, where) is var (p, n) ? [.. p.Select(i => n[i])] : Array.Empty<long>();
        if (Ne is not { } reshaped)
        {
            return shape;
        }

        return Product(reshaped) == Product(shape)
            ? [.. reshaped]
            : throw new InvalidDataException($"{where}: layout.ne {Dims(reshaped)} holds {Product(reshaped)} values, the tensor {Product(shape)}");
    }

    /// <summary>llama.cpp's values (<paramref name="referenceNe"/>) in the candidate's layout of <paramref name="candidateNe"/>.</summary>
    public float[] Invert(ReadOnlySpan<float> reference, IReadOnlyList<long> candidateNe, string where)
    {
        var values = Pairing == NeoxPairing ? Halved(reference, (int)Shape(candidateNe, where)[0]) : reference.ToArray();
        if (Permute is null)
        {
            return values;
        }

        // Undo the permutation: axis Permute[i] of the candidate is axis i of the permuted tensor.
        var (order, padded) = Aligned(Permute, candidateNe, where);
        var permutedNe = order.Select(i => padded[i]).ToArray();
        var inverse = new int[order.Length];
        for (var i = 0; i < order.Length; i++)
        {
            inverse[order[i]] = i;
        }

        return Permuted(values, permutedNe, inverse, where).Values;
    }

    /// <summary>Reads a rule's <c>layout</c> member; every error names the rule and the member.</summary>
    public static TensorLayout? Read(JsonElement rule, string where)
    {
        if (!rule.TryGetProperty("layout", out var layout))
        {
            return null;
        }

        if (layout.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{where}.layout: expected an object with permute, ne or pairing");
        }

        var permute = Longs(layout, "permute", where)?.Select(p => (int)p).ToArray();
        if (permute is not null && !permute.Order().SequenceEqual(Enumerable.Range(0, permute.Length)))
        {
            throw new InvalidDataException($"{where}.layout.permute [{string.Join(", ", permute)}]: expected each axis 0..{permute.Length - 1} once");
        }

        var ne = Longs(layout, "ne", where);
        if (ne is not null && ne.Any(d => d < 1))
        {
            throw new InvalidDataException($"{where}.layout.ne {Dims(ne)}: expected dimensions of 1 or more");
        }

        var pairing = layout.TryGetProperty("pairing", out var p)
            ? p.ValueKind == JsonValueKind.String && p.GetString() == NeoxPairing ? NeoxPairing : throw new InvalidDataException($"{where}.layout.pairing: expected \"{NeoxPairing}\"")
            : null;
        return new TensorLayout(permute, ne, pairing);
    }

    private static long[]? Longs(JsonElement layout, string member, string where)
    {
        if (!layout.TryGetProperty(member, out var array))
        {
            return null;
        }

        if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() is 0 or > 4 || array.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out _)))
        {
            throw new InvalidDataException($"{where}.layout.{member}: expected an array of 1 to 4 integers");
        }

        return [.. array.EnumerateArray().Select(e => e.GetInt64())];
    }

    private static (float[] Values, long[] Ne) Permuted(ReadOnlySpan<float> values, IReadOnlyList<long> shape, IReadOnlyList<int> order, string where)
    {
        var (permute, ne) = Aligned(order, shape, where);

        var outNe = permute.Select(p => ne[p]).ToArray();
        var inStrides = Strides(ne);
        var result = new float[values.Length];
        var index = new long[outNe.Length];
        for (var o = 0; o < result.Length; o++)
        {
            long source = 0;
            for (var i = 0; i < outNe.Length; i++)
            {
                source += index[i] * inStrides[permute[i]];
            }

            result[o] = values[(int)source];
            for (var i = 0; i < outNe.Length && ++index[i] == outNe[i]; i++)
            {
                index[i] = 0;
            }
        }

        return (result, outNe);
    }

    // A dump's ne has four axes, trailing ones 1; a permutation of fewer axes leaves those in place.
    private static (int[] Permute, long[] Ne) Aligned(IReadOnlyList<int> permute, IReadOnlyList<long> ne, string where)
    {
        var rank = Math.Max(permute.Count, ne.Count);
        var extra = ne.Skip(permute.Count).Where(d => d != 1).ToList();
        if (extra.Count > 0)
        {
            throw new InvalidDataException($"{where}: layout.permute has {permute.Count} axes, the tensor {ne.Count(d => d > 1)} of more than one element ({Dims(ne)})");
        }

        return ([.. permute, .. Enumerable.Range(permute.Count, rank - permute.Count)], [.. ne, .. Enumerable.Repeat(1L, rank - ne.Count)]);
    }

    // (i, i + n/2) → (2i, 2i + 1) in every row of n.
    private static float[] Interleaved(float[] values, int n, string where)
    {
        if (n % 2 != 0)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{where}: layout.pairing neox needs rows of an even length, not {n}"));
        }

        var result = new float[values.Length];
        for (var row = 0; row < values.Length; row += n)
        {
            for (var i = 0; i < n / 2; i++)
            {
                result[row + (2 * i)] = values[row + i];
                result[row + (2 * i) + 1] = values[row + i + (n / 2)];
            }
        }

        return result;
    }

    private static float[] Halved(ReadOnlySpan<float> values, int n)
    {
        var result = new float[values.Length];
        for (var row = 0; row < values.Length; row += n)
        {
            for (var i = 0; i < n / 2; i++)
            {
                result[row + i] = values[row + (2 * i)];
                result[row + i + (n / 2)] = values[row + (2 * i) + 1];
            }
        }

        return result;
    }

    private static long[] Strides(long[] ne)
    {
        var strides = new long[ne.Length];
        long stride = 1;
        for (var i = 0; i < ne.Length; i++)
        {
            strides[i] = stride;
            stride *= ne[i];
        }

        return strides;
    }

    private static long Product(IEnumerable<long> ne) => ne.Aggregate(1L, (a, b) => a * b);

    private static string Dims(IEnumerable<long> ne) => "[" + string.Join(", ", ne) + "]";
}

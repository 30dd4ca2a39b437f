namespace Parity.Harness.Compare;

/// <summary>Names of a llama.cpp tensor's ggml dimensions, so an error location reads "token 3, head 5, channel 17".</summary>
public static class DimensionLabels
{
    public static IReadOnlyList<string> For(string name, string op, IReadOnlyList<long> ne)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(ne);
        var stem = name.Split('-')[0];
        return stem switch
        {
            "kq" or "kq_soft_max" => ["kv", "token", "head"],
            "kqv" => ["channel", "token", "head"],
            "Qcur" or "Kcur" or "Vcur" when op is "RESHAPE" or "ROPE" => ["channel", "head", "token"],
            "result_output" => ["vocab", "token", "-"],
            _ => ["channel", "token", "-"],
        };
    }

    public static string Describe(IReadOnlyList<string> labels, IReadOnlyList<long> at)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(at);
        return string.Join(", ", Enumerable.Range(0, Math.Min(labels.Count, at.Count)).Where(i => labels[i] != "-").Reverse().Select(i => $"{labels[i]} {at[i]}"));
    }
}

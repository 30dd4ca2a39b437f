using System.Globalization;

namespace Parity.Gguf;

/// <summary>
/// One metadata value, keeping its exact GGUF type so that a file read and written again is byte-identical.
/// Scalars are held as their CLR type, strings as <see cref="string"/>, arrays of scalars or strings as a typed
/// CLR array (<c>float[]</c>, <c>string[]</c>, ...), and arrays of arrays as <c>GgufValue[]</c>.
/// </summary>
public sealed class GgufValue
{
    private GgufValue(GgufValueType type, object raw, GgufValueType elementType = GgufValueType.UInt8)
    {
        Type = type;
        Raw = raw;
        ElementType = elementType;
    }

    public GgufValueType Type { get; }

    /// <summary>For arrays, the type of the elements; meaningless otherwise.</summary>
    public GgufValueType ElementType { get; }

    public object Raw { get; }

    public bool IsArray => Type == GgufValueType.Array;

    /// <summary>Number of elements of an array value.</summary>
    public int ArrayLength => IsArray ? ((Array)Raw).Length : throw NotA("array");

    public static GgufValue Of(byte v) => new(GgufValueType.UInt8, v);
    public static GgufValue Of(sbyte v) => new(GgufValueType.Int8, v);
    public static GgufValue Of(ushort v) => new(GgufValueType.UInt16, v);
    public static GgufValue Of(short v) => new(GgufValueType.Int16, v);
    public static GgufValue Of(uint v) => new(GgufValueType.UInt32, v);
    public static GgufValue Of(int v) => new(GgufValueType.Int32, v);
    public static GgufValue Of(float v) => new(GgufValueType.Float32, v);
    public static GgufValue Of(bool v) => new(GgufValueType.Bool, v);
    public static GgufValue Of(string v) => new(GgufValueType.String, v ?? throw new ArgumentNullException(nameof(v)));
    public static GgufValue Of(ulong v) => new(GgufValueType.UInt64, v);
    public static GgufValue Of(long v) => new(GgufValueType.Int64, v);
    public static GgufValue Of(double v) => new(GgufValueType.Float64, v);

    public static GgufValue Array(byte[] v) => new(GgufValueType.Array, v, GgufValueType.UInt8);
    public static GgufValue Array(sbyte[] v) => new(GgufValueType.Array, v, GgufValueType.Int8);
    public static GgufValue Array(ushort[] v) => new(GgufValueType.Array, v, GgufValueType.UInt16);
    public static GgufValue Array(short[] v) => new(GgufValueType.Array, v, GgufValueType.Int16);
    public static GgufValue Array(uint[] v) => new(GgufValueType.Array, v, GgufValueType.UInt32);
    public static GgufValue Array(int[] v) => new(GgufValueType.Array, v, GgufValueType.Int32);
    public static GgufValue Array(float[] v) => new(GgufValueType.Array, v, GgufValueType.Float32);
    public static GgufValue Array(bool[] v) => new(GgufValueType.Array, v, GgufValueType.Bool);
    public static GgufValue Array(string[] v) => new(GgufValueType.Array, v, GgufValueType.String);
    public static GgufValue Array(ulong[] v) => new(GgufValueType.Array, v, GgufValueType.UInt64);
    public static GgufValue Array(long[] v) => new(GgufValueType.Array, v, GgufValueType.Int64);
    public static GgufValue Array(double[] v) => new(GgufValueType.Array, v, GgufValueType.Float64);

    /// <summary>An array whose elements are themselves arrays (GGUF allows nesting; every element must be an array).</summary>
    public static GgufValue ArrayOfArrays(GgufValue[] v)
    {
        ArgumentNullException.ThrowIfNull(v);
        if (v.Any(e => !e.IsArray))
        {
            throw new ArgumentException("every element of an array of arrays must itself be an array", nameof(v));
        }

        return new(GgufValueType.Array, v, GgufValueType.Array);
    }

    public string AsString() => Raw as string ?? throw NotA("string");

    public bool AsBool() => Raw is bool b ? b : throw NotA("bool");

    /// <summary>Any integer type, range-checked into a 64-bit signed value.</summary>
    public long AsInt64() => Raw switch
    {
        byte v => v,
        sbyte v => v,
        ushort v => v,
        short v => v,
        uint v => v,
        int v => v,
        long v => v,
        ulong v when v <= long.MaxValue => (long)v,
        _ => throw NotA("integer"),
    };

    /// <summary>Any numeric type as a double (floats widen exactly).</summary>
    public double AsDouble() => Raw switch
    {
        float f => f,
        double d => d,
        _ => AsInt64(),
    };

    public float AsSingle() => Raw is float f ? f : (float)AsDouble();

    public T[] AsArray<T>() => Raw as T[] ?? throw NotA($"array of {typeof(T).Name}");

    public override string ToString() => Raw switch
    {
        string s => s.Length > 80 ? string.Concat(s.AsSpan(0, 77), "...") : s,
        Array a => $"[{ElementType} x {a.Length}]",
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Raw.ToString() ?? string.Empty,
    };

    private InvalidOperationException NotA(string what) =>
        new($"metadata value is {Describe()}, not {what}");

    private string Describe() => IsArray ? $"an array of {ElementType}" : Type.ToString();
}

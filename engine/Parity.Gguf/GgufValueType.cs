namespace Parity.Gguf;

#pragma warning disable CA1720 // The members are the GGUF spec's own type names (UInt32, Float32, String).

/// <summary>The metadata value types of the GGUF format (<c>gguf_type</c>), with the format's numbering.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

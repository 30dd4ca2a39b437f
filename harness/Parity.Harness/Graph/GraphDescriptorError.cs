namespace Parity.Harness.Graph;

/// <summary>The errors a descriptor is refused with: the file, the JSON path of the member and what was expected.</summary>
internal static class GraphDescriptorError
{
    public static InvalidDataException At(string file, string field, string problem, Exception? inner = null) =>
        new($"{file}: {field}: {problem}", inner);
}

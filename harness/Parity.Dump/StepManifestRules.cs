namespace Parity.Dump;

/// <summary>
/// The consistency rules of a step manifest beyond its JSON shape: keys follow the occurrence rule, dtype, shape and
/// byte length follow from ggmlType and ne, and the tensors tile the data section in order. A manifest edited by hand
/// or written by another tool is checked as strictly as the safetensors header it describes.
/// </summary>
internal static class StepManifestRules
{
    public static void Validate(string path, StepManifest manifest)
    {
        if (manifest.Step < 0)
        {
            throw new DumpFormatException(path, "step", $"expected a non-negative step number, found {manifest.Step}");
        }

        if (manifest.Tokens.Count != manifest.Positions.Count)
        {
            throw new DumpFormatException(path, "positions", $"{manifest.Positions.Count} positions for {manifest.Tokens.Count} tokens; expected one per token");
        }

        if (!IsPlainFileName(manifest.TensorsFile))
        {
            throw new DumpFormatException(path, "tensorsFile", $"\"{manifest.TensorsFile}\" is not a file name inside the step directory");
        }

        var occurrences = new Dictionary<string, int>(StringComparer.Ordinal);
        var offset = 0L;
        for (var i = 0; i < manifest.Tensors.Count; i++)
        {
            var t = manifest.Tensors[i];

            // Built only for a message: a 1.1B dump has ~800 entries, and this runs on every open.
            string Field() => $"tensors[{i}] '{t.Key}'";
            if (DumpTensorNames.CheckName(t.Name) is { } nameProblem)
            {
                throw new DumpFormatException(path, Field() + " name", nameProblem);
            }

            var occurrence = occurrences.GetValueOrDefault(t.Name);
            occurrences[t.Name] = occurrence + 1;
            if (t.Occurrence != occurrence || t.Key != DumpTensorNames.KeyFor(t.Name, occurrence))
            {
                throw new DumpFormatException(path, Field(), $"occurrence {t.Occurrence} of '{t.Name}', but it is occurrence {occurrence} in graph order, so its key must be '{DumpTensorNames.KeyFor(t.Name, occurrence)}'");
            }

            if (t.Layer != DumpTensorNames.ParseLayer(t.Name))
            {
                throw new DumpFormatException(path, Field() + " layer", $"expected {DumpTensorNames.ParseLayer(t.Name)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"} (from the name), found {t.Layer?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}");
            }

            if (t.Ne.Count != DumpFormat.MaxDimensions || !AllNonNegative(t.Ne))
            {
                throw new DumpFormatException(path, Field() + " ne", $"expected {DumpFormat.MaxDimensions} non-negative ggml dimensions, found {DumpTensorEntry.FormatDims(t.Ne)}");
            }

            var dtype = DumpDTypes.FromGgmlType(t.GgmlType);
            if (t.DType != dtype)
            {
                throw new DumpFormatException(path, Field() + " dtype", $"ggml type {t.GgmlType} is stored as {dtype}, found {t.DType}");
            }

            var shape = dtype == DumpDType.U8 ? [t.ByteLength] : DumpTensorNames.ShapeFromNe([.. t.Ne]);
            if (!SameDimensions(shape, t.Shape))
            {
                throw new DumpFormatException(path, Field() + " shape", $"ne {DumpTensorEntry.FormatDims(t.Ne)} of {t.GgmlType} gives shape {DumpTensorEntry.FormatDims(shape)}, found {DumpTensorEntry.FormatDims(t.Shape)}");
            }

            long bytes = DumpDTypes.ElementSize(dtype);
            try
            {
                foreach (var d in shape)
                {
                    bytes = checked(bytes * d);
                }
            }
            catch (OverflowException)
            {
                throw new DumpFormatException(path, Field() + " shape", $"{DumpTensorEntry.FormatDims(shape)} overflows a 64-bit byte count");
            }

            if (t.ByteLength != bytes || t.ByteOffset != offset)
            {
                throw new DumpFormatException(path, Field() + " bytes", $"expected byteOffset {offset} and byteLength {bytes} (tensors are contiguous in order), found {t.ByteOffset} and {t.ByteLength}");
            }

            offset += bytes;
        }
    }

    // Loops rather than LINQ over long: each LINQ instantiation over a value type is JIT-compiled on first use, and
    // this runs at the start of every short-lived diff.
    private static bool AllNonNegative(IReadOnlyList<long> dims)
    {
        for (var i = 0; i < dims.Count; i++)
        {
            if (dims[i] < 0)
            {
                return false;
            }
        }

        return true;
    }

    private static bool SameDimensions(long[] expected, IReadOnlyList<long> found)
    {
        if (expected.Length != found.Count)
        {
            return false;
        }

        for (var i = 0; i < expected.Length; i++)
        {
            if (expected[i] != found[i])
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsPlainFileName(string name) =>
        name.Length > 0 && name is not ("." or "..") && name.IndexOfAny(['/', '\\', '\0']) < 0 && Path.GetFileName(name) == name;
}

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
            var field = $"tensors[{i}] '{t.Key}'";
            if (DumpTensorNames.CheckName(t.Name) is { } nameProblem)
            {
                throw new DumpFormatException(path, field + " name", nameProblem);
            }

            var occurrence = occurrences.GetValueOrDefault(t.Name);
            occurrences[t.Name] = occurrence + 1;
            if (t.Occurrence != occurrence || t.Key != DumpTensorNames.KeyFor(t.Name, occurrence))
            {
                throw new DumpFormatException(path, field, $"occurrence {t.Occurrence} of '{t.Name}', but it is occurrence {occurrence} in graph order, so its key must be '{DumpTensorNames.KeyFor(t.Name, occurrence)}'");
            }

            if (t.Layer != DumpTensorNames.ParseLayer(t.Name))
            {
                throw new DumpFormatException(path, field + " layer", $"expected {DumpTensorNames.ParseLayer(t.Name)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"} (from the name), found {t.Layer?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}");
            }

            if (t.Ne.Count != DumpFormat.MaxDimensions || t.Ne.Any(d => d < 0))
            {
                throw new DumpFormatException(path, field + " ne", $"expected {DumpFormat.MaxDimensions} non-negative ggml dimensions, found {DumpTensorEntry.FormatDims(t.Ne)}");
            }

            var dtype = DumpDTypes.FromGgmlType(t.GgmlType);
            if (t.DType != dtype)
            {
                throw new DumpFormatException(path, field + " dtype", $"ggml type {t.GgmlType} is stored as {dtype}, found {t.DType}");
            }

            var shape = dtype == DumpDType.U8 ? [t.ByteLength] : DumpTensorNames.ShapeFromNe([.. t.Ne]);
            if (!shape.SequenceEqual(t.Shape))
            {
                throw new DumpFormatException(path, field + " shape", $"ne {DumpTensorEntry.FormatDims(t.Ne)} of {t.GgmlType} gives shape {DumpTensorEntry.FormatDims(shape)}, found {DumpTensorEntry.FormatDims(t.Shape)}");
            }

            long bytes;
            try
            {
                bytes = shape.Aggregate((long)DumpDTypes.ElementSize(dtype), (a, d) => checked(a * d));
            }
            catch (OverflowException)
            {
                throw new DumpFormatException(path, field + " shape", $"{DumpTensorEntry.FormatDims(shape)} overflows a 64-bit byte count");
            }

            if (t.ByteLength != bytes || t.ByteOffset != offset)
            {
                throw new DumpFormatException(path, field + " bytes", $"expected byteOffset {offset} and byteLength {bytes} (tensors are contiguous in order), found {t.ByteOffset} and {t.ByteLength}");
            }

            offset += bytes;
        }
    }

    private static bool IsPlainFileName(string name) =>
        name.Length > 0 && name is not ("." or "..") && name.IndexOfAny(['/', '\\', '\0']) < 0 && Path.GetFileName(name) == name;
}

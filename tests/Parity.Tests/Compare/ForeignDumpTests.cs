using System.Buffers.Binary;
using System.Text;
using Parity.Cli;
using Parity.Dump;
using Parity.Tests.Support;

namespace Parity.Tests.Compare;

/// <summary>
/// Dumps that are not Parity runs: a directory of .npy files per step (what a PyTorch hook saves with np.save), or one
/// safetensors file per step, named the producer's way. <c>parity diff</c> reads them against a llama.cpp dump through
/// a name map; the values are the engine's own, written out in those formats, so parity must hold.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ForeignDumpTests
{
    private TempDirectory _temp = null!;
    private string _reference = null!;
    private DumpRun _engine = null!;
    private string _map = null!;

    [OneTimeSetUp]
    public void MakeDumps()
    {
        _temp = new TempDirectory();
        (_, _reference, var engine) = MicroDumps.Make(_temp, steps: 1);
        _engine = DumpRun.Open(engine);
        _map = _temp.File("map.json");
        File.WriteAllText(_map, """
            { "formatVersion": 1, "rules": [
              { "pattern": "model\\.layers\\.(\\d+)\\.(.+)\\.(\\d)", "key": "$2-$1#$3" },
              { "pattern": "model\\.(.+)\\.(\\d)", "key": "$1#$2" }
            ] }
            """);
    }

    [OneTimeTearDown]
    public void Cleanup() => _temp.Dispose();

    [Test]
    public void A_directory_of_npy_files_per_step_diffs_through_a_name_map()
    {
        var dir = _temp.File("npy");
        for (var i = 0; i < _engine.StepCount; i++)
        {
            var stepDir = Path.Combine(dir, $"step-{i:D4}");
            Directory.CreateDirectory(stepDir);
            foreach (var (name, ne, values) in Tensors(i))
            {
                File.WriteAllBytes(Path.Combine(stepDir, name + ".npy"), Npy(ne, values));
            }
        }

        var (code, stdout, stderr) = ParityCli.Run("diff", dir, _reference, "--name-map", _map, "--out", _temp.File("r-npy"));
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stdout + stderr);
        Assert.That(stdout, Does.Contain("PARITY HOLDS").And.Contain("foreign (A)"));
        Assert.That(Directory.EnumerateDirectories(Path.GetTempPath(), "parity-foreign-*").Where(d => Directory.GetCreationTimeUtc(d) > DateTime.UtcNow.AddMinutes(-1)), Is.Empty, "the imported copy is removed");
    }

    [Test]
    public void One_safetensors_file_per_step_diffs_through_a_name_map()
    {
        var dir = _temp.File("st");
        Directory.CreateDirectory(dir);
        for (var i = 0; i < _engine.StepCount; i++)
        {
            File.WriteAllBytes(Path.Combine(dir, $"step{i}.safetensors"), Safetensors(Tensors(i)));
        }

        var (code, stdout, stderr) = ParityCli.Run("diff", dir, _reference, "--name-map", _map, "--out", _temp.File("r-st"));
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stdout + stderr);
        Assert.That(stdout, Does.Contain("PARITY HOLDS"));
    }

    [Test]
    public void A_damaged_npy_file_is_bad_input_naming_it()
    {
        var dir = _temp.File("bad-npy");
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "model.embd.0.npy"), "not numpy"u8.ToArray());
        var (code, _, stderr) = ParityCli.Run("diff", dir, _reference, "--name-map", _map, "--out", _temp.File("r-bad"));
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), stderr);
        Assert.That(stderr, Does.Contain("model.embd.0.npy: not a .npy file"));
    }

    /// <summary>Step <paramref name="step"/>'s float tensors, named the transformers way with the occurrence last: model.layers.0.Qcur.2.</summary>
    private IEnumerable<(string Name, long[] Ne, float[] Values)> Tensors(int step)
    {
        using var s = _engine.OpenStep(step);
        foreach (var e in s.Tensors.Where(e => e.DType == DumpDType.F32))
        {
            yield return ($"{MicroDumps.ForeignName(e.Name)}.{e.Occurrence}", [.. e.Ne], s.ToFloat32Array(e));
        }
    }

    private static byte[] Npy(long[] ne, float[] values)
    {
        var shape = string.Join(", ", ne.Reverse().SkipWhile(n => n == 1).DefaultIfEmpty(1));
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({shape},), }}";
        header = header.PadRight(((10 + header.Length + 1 + 63) / 64 * 64) - 10 - 1) + "\n";
        using var stream = new MemoryStream();
        stream.Write([0x93, .. "NUMPY"u8, 1, 0]);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(Encoding.Latin1.GetBytes(header));
        foreach (var v in values)
        {
            stream.Write(BitConverter.GetBytes(v));
        }

        return stream.ToArray();
    }

    private static byte[] Safetensors(IEnumerable<(string Name, long[] Ne, float[] Values)> tensors)
    {
        var list = tensors.ToList();
        var header = new StringBuilder("{");
        long offset = 0;
        foreach (var (name, ne, values) in list)
        {
            var shape = string.Join(",", ne.Reverse().SkipWhile(n => n == 1).DefaultIfEmpty(1));
            header.Append($"\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{shape}],\"data_offsets\":[{offset},{offset + (4L * values.Length)}]}},");
            offset += 4L * values.Length;
        }

        var json = Encoding.UTF8.GetBytes(header.ToString().TrimEnd(',') + "}");
        using var stream = new MemoryStream();
        var length = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, json.Length);
        stream.Write(length);
        stream.Write(json);
        foreach (var (_, _, values) in list)
        {
            foreach (var v in values)
            {
                stream.Write(BitConverter.GetBytes(v));
            }
        }

        return stream.ToArray();
    }
}

using Parity.Harness.Models;
using Parity.Harness.Synthetic;
using Parity.Tests.Support;

namespace Parity.Tests.Synthetic;

[TestFixture]
public sealed class ModelCacheTests
{
    [Test]
    public async Task A_quantized_preset_is_reused_after_its_F32_source_was_deleted()
    {
        using var temp = new TempDirectory();
        var cache = new ModelCache(temp.Path, Models.Runner);
        var quantized = await cache.GetAsync(SyntheticPresets.Micro, "Q8_0");
        var source = cache.GetSynthetic(SyntheticPresets.Micro);
        var written = File.GetLastWriteTimeUtc(quantized);

        File.Delete(source);
        var again = await cache.GetAsync(SyntheticPresets.Micro, "Q8_0");

        Assert.That(again, Is.EqualTo(quantized));
        Assert.That(File.Exists(source), Is.False, "the F32 source is not regenerated when its quantized file exists");
        Assert.That(File.GetLastWriteTimeUtc(again), Is.EqualTo(written));
    }

    [Test]
    public async Task The_F32_model_itself_is_regenerated_when_deleted()
    {
        using var temp = new TempDirectory();
        var cache = new ModelCache(temp.Path, Models.Runner);
        var source = await cache.GetAsync(SyntheticPresets.Micro, "F32");
        var bytes = await File.ReadAllBytesAsync(source);

        File.Delete(source);
        var again = await cache.GetAsync(SyntheticPresets.Micro, "F32");

        Assert.That(again, Is.EqualTo(source));
        Assert.That(await File.ReadAllBytesAsync(again), Is.EqualTo(bytes), "generation is deterministic");
    }
}

using Parity.Engine.Model;
using Parity.Engine.Tests.Support;
using Parity.Harness.Synthetic;

namespace Parity.Engine.Tests.Model;

/// <summary>The per-token path allocates nothing once warm: buffers, KV cache and worker threads exist from the start.</summary>
[TestFixture]
public sealed class HotPathTests
{
    [TestCase(1, KvCacheType.F32, NumericsMode.F32)]
    [TestCase(2, KvCacheType.F32, NumericsMode.F32)]
    [TestCase(2, KvCacheType.F16, NumericsMode.Ggml)]
    [TestCase(2, KvCacheType.Q8_0, NumericsMode.Ggml)]
    [TestCase(1, KvCacheType.Q8_0, NumericsMode.F32)]
    [TestCase(2, KvCacheType.Q5_1, NumericsMode.Ggml)]
    [TestCase(1, KvCacheType.IQ4_NL, NumericsMode.Ggml)]
    [TestCase(1, KvCacheType.BF16, NumericsMode.Ggml)]
    public async Task Decoding_a_token_allocates_nothing_after_warm_up(int threads, KvCacheType kv, NumericsMode numerics)
    {
        var path = await EngineTestModels.Cache.GetAsync(SyntheticPresets.Micro, "Q4_K_M");
        using var model = Transformer.Load(path, new EngineOptions { Threads = threads, ContextSize = 512, MaxBatch = 8, KvCache = kv, Numerics = numerics });
        model.Forward([1, 300, 301]);
        int[] token = [302];
        // Enough calls for tiered compilation to settle: its re-JIT of hot methods may allocate once.
        for (var i = 0; i < 100; i++)
        {
            model.Forward(token, allLogits: false);
        }

        // Counted on the engine's own threads (this one and its workers): process-wide counts would include the
        // test host's messaging.
        var before = GC.GetAllocatedBytesForCurrentThread() + model.WorkerAllocatedBytes;
        for (var i = 0; i < 200; i++)
        {
            model.Forward(token, allLogits: false);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() + model.WorkerAllocatedBytes - before;
        Assert.That(allocated, Is.Zero, "bytes allocated over 200 tokens");
    }
}

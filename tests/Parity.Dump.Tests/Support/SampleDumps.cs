using Parity.Dump;

namespace Parity.Dump.Tests.Support;

/// <summary>Run metadata and a small two-step run shaped like a llama.cpp dump of one layer.</summary>
internal static class SampleDumps
{
    public static readonly DateTimeOffset FixedTime = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    public static DumpRunInfo RunInfo(string prompt = "Hello") => new()
    {
        Producer = new DumpProducer
        {
            Name = DumpProducer.LlamaCppName,
            Version = "b1234-abcdef0",
            GgmlVersion = "0.9.4",
            LibraryVariant = "avx2",
            LibraryPath = "/opt/llama/libllama.so",
        },
        Model = new DumpModelInfo
        {
            Path = "out/micro.gguf",
            Bytes = 5_800_000,
            Sha256 = new string('a', 64),
            Architecture = "llama",
            Hyperparameters = new DumpHyperparameters
            {
                NEmbd = 256,
                NLayer = 2,
                NHead = 4,
                NHeadKv = 2,
                NFf = 512,
                NVocab = 512,
                NCtxTrain = 2048,
                RopeFreqBase = 10000f,
                RopeDimensionCount = 64,
                RmsEps = 1e-5f,
            },
            FileType = "ALL_F32",
            WeightTypes = new Dictionary<string, int> { ["f32"] = 19 },
        },
        Prompt = new DumpPrompt { Text = prompt, Tokens = [1, 15043, 29892] },
        Options = new DumpOptions
        {
            Threads = 2,
            FlashAttention = false,
            TypeK = "f16",
            TypeV = "f16",
            Repack = false,
            NCtx = 256,
            NBatch = 512,
            Filter = null,
            OutputAll = false,
        },
        Notes = new Dictionary<string, string> { ["command"] = "parity dump --prompt Hello" },
    };

    /// <summary>Deterministic, awkward float values: signed zeros, a subnormal, a NaN with a payload, infinities.</summary>
    public static float[] Values(int count, int seed)
    {
        var v = new float[count];
        for (var i = 0; i < count; i++)
        {
            v[i] = ((seed * 131) + (i * 17) % 97 - 48) / 8f;
        }

        if (count > 4)
        {
            v[0] = -0f;
            v[1] = float.Epsilon;
            v[2] = BitConverter.Int32BitsToSingle(0x7FC0_1234);
            v[3] = float.NegativeInfinity;
        }

        return v;
    }

    public static Half[] HalfValues(int count) => [.. Enumerable.Range(0, count).Select(i => (Half)((i - 7) * 0.375f))];

    /// <summary>
    /// Writes one step the way a llama.cpp layer produces it: repeated names (Qcur-0 three times, norm-0 twice),
    /// an unnamed node, a gathered F16 view of the K cache, a BF16 tensor and a raw q8_0 block. <paramref name="n"/>
    /// is the number of tokens evaluated.
    /// </summary>
    public static void WriteLayerStep(DumpStepWriter step, int n, int seed)
    {
        step.Add("inp_embd", "GET_ROWS", Values(8 * n, seed), [8, n]);
        step.Add("norm-0", "RMS_NORM", Values(8 * n, seed + 1), [8, n]);
        step.Add("norm-0", "MUL", Values(8 * n, seed + 2), [8, n]);
        step.Add("Qcur-0", "MUL_MAT", Values(16 * n, seed + 3), [16, n]);
        step.Add("Qcur-0", "RESHAPE", Values(16 * n, seed + 3), [4, 4, n]);
        step.Add("Qcur-0", "ROPE", Values(16 * n, seed + 4), [4, 4, n]);
        step.Add("node_12", "ADD", Values(5, seed + 5), [5]);
        var half = HalfValues(4 * 3 * 2);
        step.Add("cache_k_l0 (view) (permuted)", "PERMUTE", "f16", [4, 3, 2, 1], madeContiguous: true, System.Runtime.InteropServices.MemoryMarshal.AsBytes(half.AsSpan()));
        var bf16 = new ushort[] { 0x3F80, 0xC000, 0x7F80, 0x0001, 0x8000, 0x4049 };
        step.Add("ffn_gate-0", "MUL_MAT", "bf16", [3, 2], madeContiguous: false, System.Runtime.InteropServices.MemoryMarshal.AsBytes(bf16.AsSpan()));
        var q8 = Enumerable.Range(0, 34).Select(i => (byte)(i * 7)).ToArray();
        step.Add("cache_v_l0 (view)", "VIEW", "q8_0", [32, 1], madeContiguous: false, q8);
        step.Add("result_output", "MUL_MAT", Values(10 * n, seed + 6), [10, n]);
    }

    /// <summary>A completed two-step run at <paramref name="runDirectory"/>: the 3-token prompt, then one decode step.</summary>
    public static RunManifest WriteTwoStepRun(string runDirectory)
    {
        using var run = DumpRunWriter.Create(runDirectory, RunInfo(), new FixedTimeProvider(FixedTime));
        using (var step0 = run.BeginStep(0))
        {
            WriteLayerStep(step0, 3, seed: 0);
            step0.Complete(tokens: [1, 15043, 29892], positions: [0, 1, 2], generatedTokens: [278]);
        }

        using (var step1 = run.BeginStep(1))
        {
            WriteLayerStep(step1, 1, seed: 100);
            step1.Complete(tokens: [278], positions: [3], generatedTokens: [278, 4799]);
        }

        return run.Complete([278, 4799]);
    }
}

#:project ../harness/Parity.Harness/Parity.Harness.csproj

// What dumping costs over a plain forward pass: the engine's forward over the same tokens, once with no sink and once
// streaming every traced tensor into a dump (DumpTensorSink, temp directory, rename), median of 5 each.
// Usage: dotnet run -c Release scripts/measure-dump-overhead.cs [PRESET] [QUANT] [TOKENS] [THREADS]
//        (default tinyllama-1.1b-shape Q4_K_M 16 2; the model is made and cached as `parity run` does)
using System.Diagnostics;
using System.Globalization;
using Parity.Dump;
using Parity.Engine.Model;
using Parity.Harness.Engine;
using Parity.Harness.Models;
using Parity.Harness.Runner;
using Parity.Harness.Synthetic;

var preset = SyntheticPresets.Get(args.Length > 0 ? args[0] : "tinyllama-1.1b-shape");
var quant = args.Length > 1 ? args[1] : "Q4_K_M";
var n = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 16;
var threads = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 2;
var path = await new ModelCache(ModelCache.DefaultDirectory(), LlamaCppRunner.CreateDefault()).GetAsync(preset, quant);

using var model = LlamaModel.Load(path, new EngineOptions { Threads = threads, MaxBatch = n, ContextSize = 256, Numerics = NumericsMode.Ggml, KvCache = KvCacheType.F16 });
int[] tokens = [.. Enumerable.Range(0, n).Select(i => i == 0 ? 1 : 300 + i)];
var info = new DumpRunInfo
{
    Producer = new DumpProducer { Name = DumpProducer.EngineName, Version = "measure-dump-overhead" },
    Model = DumpModelInfoReader.Read(path),
    Prompt = new DumpPrompt { Tokens = tokens },
    Options = new DumpOptions { Threads = threads, FlashAttention = false, TypeK = "f16", TypeV = "f16", Repack = false, NCtx = 256, NBatch = n, OutputAll = true },
};
var work = Directory.CreateTempSubdirectory("parity-dump-overhead-");
try
{
    var plain = new List<double>();
    var dumped = new List<double>();
    long bytes = 0;
    for (var rep = 0; rep < 6; rep++)
    {
        model.Reset();
        var clock = Stopwatch.StartNew();
        model.Forward(tokens);
        plain.Add(clock.Elapsed.TotalMilliseconds);

        var run = Path.Combine(work.FullName, $"run-{rep}");
        model.Reset();
        clock.Restart();
        using (var writer = DumpRunWriter.Create(run, info))
        {
            using (var step = writer.BeginStep(0))
            {
                model.Forward(tokens, new DumpTensorSink(step));
                step.Complete(tokens, [.. Enumerable.Range(0, n)], []);
            }

            writer.Complete([]);
        }

        dumped.Add(clock.Elapsed.TotalMilliseconds);
        bytes = new DirectoryInfo(run).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        Directory.Delete(run, recursive: true);
    }

    // The first repetition pays for the JIT on both paths: medians of the other five.
    static double Median(List<double> v) => v.Skip(1).Order().ElementAt(2);
    Console.WriteLine(FormattableString.Invariant(
        $"{Path.GetFileName(path)}, {n} token(s), {threads} thread(s): forward {Median(plain):F0} ms, forward + dump {Median(dumped):F0} ms ({bytes / 1e6:F0} MB) = {Median(dumped) / Median(plain):F2}x"));
}
finally
{
    work.Delete(recursive: true);
}

using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using Parity.Benchmarks;

// dotnet run -c Release --project benchmarks/Parity.Benchmarks -- --filter '*'   (BenchmarkDotNet's own options apply)
var config = DefaultConfig.Instance
    .AddColumn(new ThroughputColumn(ThroughputColumn.Measure.GigabytesPerSecond))
    .AddColumn(new ThroughputColumn(ThroughputColumn.Measure.GigaMacsPerSecond));
BenchmarkSwitcher.FromAssembly(typeof(KernelBenchmarks).Assembly).Run(args, config);

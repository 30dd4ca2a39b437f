using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Parity.Runner.Native;

/// <summary>
/// Finds and loads llama.cpp's shared libraries: by default the build shipped in the NuGet package
/// <c>LLamaSharp.Backend.Cpu</c> (copied beside this program under <c>llama.cpp/linux-x64/&lt;variant&gt;</c>, the best
/// variant the CPU supports), or a user's own build directory holding <c>libllama.so</c> and <c>libggml*.so</c>.
/// Libraries are loaded by full path and the P/Invoke names are resolved to those handles, so nothing on the
/// system library path can be picked up by accident.
/// </summary>
internal static class LlamaLibrary
{
    public const string Llama = "llama";
    public const string GgmlBase = "ggml-base";

    public const string GgmlCpu = "ggml-cpu";

    private static readonly Dictionary<string, IntPtr> Handles = new(StringComparer.Ordinal);

    public static string? Directory { get; private set; }

    /// <summary>The package variant loaded, or for a build of one's own the variant its CPU features match.</summary>
    public static string? Variant { get; private set; }

    /// <summary>Whether the libraries are the NuGet package's (no <c>--lib-dir</c>).</summary>
    public static bool Packaged { get; private set; }

    /// <summary>The best package variant this CPU runs: avx512, avx2, avx or noavx.</summary>
    public static string BestVariant() =>
        Avx512F.IsSupported ? "avx512" : Avx2.IsSupported ? "avx2" : Avx.IsSupported ? "avx" : "noavx";

    public static string PackageDirectory(string variant) =>
        Path.Combine(AppContext.BaseDirectory, "llama.cpp", "linux-x64", variant);

    /// <summary>Loads the libraries from <paramref name="directory"/> (null: the package's best variant).</summary>
    public static void Load(string? directory, string? variant)
    {
        if (Directory is not null)
        {
            return;
        }

        string dir;
        if (directory is not null)
        {
            dir = Path.GetFullPath(directory);
        }
        else
        {
            Packaged = true;
            Variant = variant ?? BestVariant();
            dir = PackageDirectory(Variant);
        }

        if (!System.IO.Directory.Exists(dir))
        {
            throw new RunnerException(RunnerExitCodes.MissingLibrary, $"llama.cpp library directory {dir} does not exist");
        }

        // Dependencies first, so each dlopen finds its siblings already loaded.
        foreach (var name in new[] { "ggml-base", "ggml-cpu", "ggml", "llama" })
        {
            var path = FollowLinkFile(Path.Combine(dir, $"lib{name}.so"));
            if (!File.Exists(path))
            {
                throw new RunnerException(RunnerExitCodes.MissingLibrary, $"{path} is missing: a llama.cpp build directory must hold libllama.so, libggml.so, libggml-base.so and libggml-cpu.so");
            }

            try
            {
                Handles[name] = NativeLibrary.Load(path);
            }
            catch (DllNotFoundException e)
            {
                throw new RunnerException(RunnerExitCodes.MissingLibrary, DescribeLoadFailure(path, e.Message));
            }
        }

        Directory = dir;
        NativeLibrary.SetDllImportResolver(Assembly.GetExecutingAssembly(), Resolve);
    }

    /// <summary>
    /// For a build of one's own, the package variant whose instruction sets its CPU backend was compiled with, from
    /// <c>llama_print_system_info</c> ("AVX512 = 1", "AVX2 = 1", ...): the variant whose numerics it shares.
    /// </summary>
    public static void SetVariantFromSystemInfo(string systemInfo)
    {
        Variant ??= systemInfo.Contains("AVX512 = 1", StringComparison.Ordinal) ? "avx512"
            : systemInfo.Contains("AVX2 = 1", StringComparison.Ordinal) ? "avx2"
            : systemInfo.Contains("AVX = 1", StringComparison.Ordinal) ? "avx"
            : "noavx";
    }

    /// <summary>
    /// A build copied without symlinks keeps each link as a small file holding its target's name
    /// (<c>libllama.so</c> containing "libllama.so.0"); follow such files to the real library, at most a few hops.
    /// </summary>
    private static string FollowLinkFile(string path)
    {
        for (var hop = 0; hop < 4 && File.Exists(path) && new FileInfo(path).Length is > 0 and < 256; hop++)
        {
            var target = File.ReadAllText(path).Trim();
            if (target.Length == 0 || target.Contains('/', StringComparison.Ordinal) || target.Contains('\0', StringComparison.Ordinal) || !target.StartsWith("lib", StringComparison.Ordinal))
            {
                break;
            }

            path = Path.Combine(Path.GetDirectoryName(path)!, target);
        }

        return path;
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        Handles.TryGetValue(libraryName, out var handle) ? handle : IntPtr.Zero;

    /// <summary>Turns the loader's message into one that names the missing system library and its package.</summary>
    private static string DescribeLoadFailure(string path, string message)
    {
        var known = new (string Library, string Package)[]
        {
            ("libgomp.so.1", "libgomp1 (apt-get install libgomp1)"),
            ("libstdc++.so.6", "libstdc++6 (apt-get install libstdc++6)"),
            ("libgcc_s.so.1", "libgcc-s1 (apt-get install libgcc-s1)"),
        };
        foreach (var (library, package) in known)
        {
            if (message.Contains(library, StringComparison.Ordinal))
            {
                return $"cannot load {path}: the system library {library} is missing; it comes with the package {package}";
            }
        }

        return $"cannot load {path}: {message}";
    }
}

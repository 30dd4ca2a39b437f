using Parity.Gguf;
using Parity.Harness.Synthetic;

namespace Parity.Engine.Tests.Tokenizer;

/// <summary>
/// Models written for the tokenizer tests into one scratch directory per run: the synthetic <c>micro</c> model
/// (512-token SentencePiece vocabulary with byte fallback), and two vocab-only files that add special tokens to it
/// so llama.cpp's rarer paths (user-defined tokens, lstrip/rstrip, no space prefix, EOS added, control-looking
/// texts) can be compared too.
/// </summary>
[SetUpFixture]
public sealed class TokenizerModels
{
    private static readonly Dictionary<string, string> PreVariants = [];
    private static string? _directory;
    private static readonly Lazy<string> MicroPath = new(() => Write("micro.gguf", p => SyntheticModel.Write(SyntheticPresets.Micro, p)));
    private static readonly Lazy<string> Phi3Path = new(() => Write("phi3-edge.gguf", p => WriteEdgeVocabulary(p, "Phi-3 parity edge", addSpacePrefix: null, addEos: null)));
    private static readonly Lazy<string> ModernBertPath = new(() => Write("modern-bert-edge.gguf", p => WriteEdgeVocabulary(p, "modern-bert parity edge", addSpacePrefix: false, addEos: true)));

    /// <summary>The synthetic micro model (F32, 5.8 MB).</summary>
    public static string Micro => MicroPath.Value;

    /// <summary>
    /// Vocab-only, named like Phi-3: llama.cpp gives every special token rstrip, then takes it off
    /// <c>&lt;unk&gt;</c>, <c>&lt;s&gt;</c> and <c>&lt;|endoftext|&gt;</c>.
    /// </summary>
    public static string Phi3 => Phi3Path.Value;

    /// <summary>Vocab-only, named like ModernBERT (<c>[MASK]</c> gets lstrip), no space prefix, EOS added.</summary>
    public static string ModernBert => ModernBertPath.Value;

    [OneTimeSetUp]
    public void CreateDirectory()
    {
        _directory = Path.Combine(Path.GetTempPath(), "parity-tests", "tokenizer-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_directory);
    }

    [OneTimeTearDown]
    public void DeleteDirectory()
    {
        try
        {
            if (_directory is not null)
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // A mapped file may still be closing; the OS temp cleaner gets it.
        }
    }

    /// <summary>
    /// A copy of a vocab-only file with <c>tokenizer.ggml.pre</c> set to <paramref name="pre"/> (removed when null),
    /// written once per run.
    /// </summary>
    public static string WithPre(string source, string? pre)
    {
        lock (PreVariants)
        {
            var key = source + "\0" + (pre ?? "<absent>");
            if (!PreVariants.TryGetValue(key, out var path))
            {
                path = Write($"{Path.GetFileNameWithoutExtension(source)}-pre-{PreVariants.Count}.gguf", p =>
                {
                    using var file = GgufFile.Open(source);
                    var writer = new GgufWriter(file.Version);
                    foreach (var (k, value) in file.Metadata.Where(m => m.Key != GgufKeys.TokenizerPre))
                    {
                        writer.Add(k, value);
                    }

                    if (pre is not null)
                    {
                        writer.Add(GgufKeys.TokenizerPre, GgufValue.Of(pre));
                    }

                    writer.WriteTo(p);
                });
                PreVariants.Add(key, path);
            }

            return path;
        }
    }

    private static string Write(string name, Action<string> write)
    {
        var path = Path.Combine(_directory ?? throw new InvalidOperationException("the tokenizer SetUpFixture has not run"), name);
        write(path);
        return path;
    }

    /// <summary>
    /// The synthetic vocabulary plus chat-style specials of every type. <c>&lt;|im_end|&gt;</c> is typed normal on
    /// purpose: llama.cpp turns control-looking texts into control tokens at load.
    /// </summary>
    private static void WriteEdgeVocabulary(string path, string name, bool? addSpacePrefix, bool? addEos)
    {
        var vocab = SyntheticVocabulary.Build(SyntheticPresets.Micro.VocabSize);
        var tokens = vocab.Tokens.ToList();
        var scores = vocab.Scores.ToList();
        var types = vocab.TokenTypes.ToList();
        foreach (var (text, type) in new[]
        {
            ("<|user|>", 4), ("<|assistant|>", 3), ("<|end|>", 3), ("<|endoftext|>", 3), ("[MASK]", 4), ("<|im_end|>", 1), ("<|user|>x", 4),
        })
        {
            tokens.Add(text);
            scores.Add(0f);
            types.Add(type);
        }

        const string arch = "llama";
        var writer = new GgufWriter();
        foreach (var (key, value) in SyntheticModel.CreateWriter(SyntheticPresets.Micro).Metadata)
        {
            if (!key.StartsWith("tokenizer.", StringComparison.Ordinal) && key != GgufKeys.Name && key != GgufKeys.Arch(arch, GgufKeys.VocabSize))
            {
                writer.Add(key, value);
            }
        }

        writer.Add(GgufKeys.Name, GgufValue.Of(name))
            .Add(GgufKeys.Arch(arch, GgufKeys.VocabSize), GgufValue.Of((uint)tokens.Count))
            .Add(GgufKeys.TokenizerModel, GgufValue.Of("llama"))
            .Add(GgufKeys.Tokens, GgufValue.Array([.. tokens]))
            .Add(GgufKeys.Scores, GgufValue.Array([.. scores]))
            .Add(GgufKeys.TokenTypes, GgufValue.Array([.. types]))
            .Add(GgufKeys.BosTokenId, GgufValue.Of((uint)SyntheticVocabulary.BosId))
            .Add(GgufKeys.EosTokenId, GgufValue.Of((uint)SyntheticVocabulary.EosId))
            .Add(GgufKeys.UnknownTokenId, GgufValue.Of((uint)SyntheticVocabulary.UnknownId));
        if (addSpacePrefix is { } prefix)
        {
            writer.Add(GgufKeys.AddSpacePrefix, GgufValue.Of(prefix));
        }

        if (addEos is { } eos)
        {
            writer.Add(GgufKeys.AddEosToken, GgufValue.Of(eos));
        }

        writer.WriteTo(path);
    }
}

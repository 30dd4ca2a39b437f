using Parity.Dump;
using Parity.Harness.Graph;

namespace Parity.Harness.Compare;

/// <summary>
/// Compares two dumps with no model present: side A (candidate) against side B (reference), step by step, tensor by
/// tensor in B's graph order. Tensors are read one pair at a time from the memory-mapped files, so memory stays
/// bounded whatever the dumps' size. What is compared, how and under which labels comes from the graph descriptor of
/// B's architecture unless the caller passes one. A's tensors are found under B's keys through the descriptor's
/// aliases, and through <paramref name="names"/> when the candidate names its tensors its own way.
/// </summary>
public sealed class DumpDiffer(TolerancePolicy policy, GraphDescriptor? graph = null, PairingOptions? pairing = null, NameMap? names = null)
{
    public TolerancePolicy Policy { get; } = policy;

    /// <param name="maxSteps">Compare at most this many steps (e.g. only those both sides ran with the same tokens).</param>
    public RunDiff Diff(string runA, string runB, IProgress<WorkProgress>? progress = null, int? maxSteps = null) =>
        Diff(DumpRun.Open(runA), DumpRun.Open(runB), progress, maxSteps);

    /// <summary>The same for runs already open (a caller that read the manifests first need not read them again).</summary>
    /// <param name="progress">Told each step compared, as phase "diff".</param>
    public RunDiff Diff(DumpRun a, DumpRun b, IProgress<WorkProgress>? progress = null, int? maxSteps = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var allowed = DumpPairing.Check(a, b, pairing ?? PairingOptions.Strict, sameStepCount: maxSteps is null);
        var map = (graph ?? GraphDescriptors.For(b.Manifest.Model.Architecture)).ForFlashAttention(b.Manifest.Options.FlashAttention);
        var weightType = WeightType(b.Manifest.Model);
        var kv = b.Manifest.Options.TypeK;
        var numerics = a.Manifest.Notes is { } notes && notes.TryGetValue("numerics", out var mode) ? mode : "f32";
        var context = new ComparisonContext(weightType, kv, numerics, DumpPairing.CandidateExact(a.Manifest, b.Manifest));
        var steps = new List<StepDiff>();
        var unrecorded = Unrecorded(a.Manifest, b.Manifest, map);
        var count = Math.Min(Math.Min(a.StepCount, b.StepCount), maxSteps ?? int.MaxValue);
        progress?.Report(new WorkProgress("diff", 0, count, "step"));
        TokenDivergence? divergence = null;
        for (var i = 0; i < count && divergence is null; i++)
        {
            using var stepA = a.OpenStep(i);
            using var stepB = b.OpenStep(i);
            DumpPairing.CheckStep(a, stepA);
            DumpPairing.CheckStep(b, stepB);
            if (!stepA.Manifest.Tokens.SequenceEqual(stepB.Manifest.Tokens))
            {
                divergence = new TokenDivergence(i, stepA.Manifest.Tokens, stepB.Manifest.Tokens, count - i);
                break;
            }

            steps.Add(DiffStep(stepA, stepB, map, context, unrecorded));
            progress?.Report(new WorkProgress("diff", i + 1, count, "step"));
        }

        return new RunDiff
        {
            DirectoryA = a.Directory,
            DirectoryB = b.Directory,
            ManifestA = a.Manifest,
            ManifestB = b.Manifest,
            WeightType = weightType,
            KvCache = kv,
            Numerics = numerics,
            CandidateExact = context.CandidateExact,
            AllowedDifferences = allowed,
            Graph = map,
            Steps = steps,
            Divergence = divergence,
            NameMap = names is null ? null : $"{names.Source} ({names.RuleCount} rule(s))",
        };
    }

    /// <summary>
    /// The weight type the tolerance rules are chosen by: the file type when the GGUF has one, else what the weights
    /// are (a file with no <c>general.file_type</c> whose weights are all F32 is F32, not "unknown").
    /// </summary>
    public static string WeightType(DumpModelInfo model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.FileType is not null)
        {
            return WeightType(model.FileType);
        }

        // Norms are F32 in every model, so a single other type is the weights' type.
        var others = model.WeightTypes.Keys.Where(t => !t.Equals("f32", StringComparison.OrdinalIgnoreCase)).ToList();
        return model.WeightTypes.Count == 0 ? "unknown" : others.Count switch
        {
            0 => "F32",
            1 => others[0].ToUpperInvariant(),
            _ => "unknown",
        };
    }

    /// <summary>"ALL_F32" → "F32", "MOSTLY_Q4_K_M" → "Q4_K_M": the names tolerance rules use.</summary>
    public static string WeightType(string? fileType) => fileType switch
    {
        null => "unknown",
        "ALL_F32" => "F32",
        _ when fileType.StartsWith("MOSTLY_", StringComparison.Ordinal) => fileType["MOSTLY_".Length..],
        _ => fileType,
    };

    /// <summary>
    /// What the reference did not record on purpose, for a candidate that could not know: a reference dumped with a
    /// tensor filter (a golden keeping some tensors) against a candidate that did not apply it, and the attention
    /// intermediates (kq, the softmax) llama.cpp fuses away with flash attention, which an engine of its own records
    /// anyway. A candidate tensor whose llama.cpp key is one of these has nothing to pair with by design, so it is not
    /// counted as unpaired; every other unpaired tensor still is.
    /// </summary>
    private static Func<string, bool> Unrecorded(RunManifest a, RunManifest b, GraphDescriptor graph)
    {
        var filter = b.Options.Filter is { } f && a.Options.Filter != f
            ? new System.Text.RegularExpressions.Regex(f, System.Text.RegularExpressions.RegexOptions.CultureInvariant)
            : null;
        var otherGraph = graph.ForFlashAttention(!b.Options.FlashAttention);
        return key =>
        {
            var hash = key.LastIndexOf(DumpFormat.OccurrenceSeparator);
            return (filter is not null && !filter.IsMatch(hash >= 0 ? key[..hash] : key))
                || (graph.NodeOfKey(key) is null && otherGraph.NodeOfKey(key) is not null);
        };
    }

    private StepDiff DiffStep(DumpStep a, DumpStep b, GraphDescriptor map, ComparisonContext context, Func<string, bool> unrecorded)
    {
        var manifest = b.Manifest;
        var findA = CandidateIndex(a, map, names);
        var usedA = new HashSet<string>(StringComparer.Ordinal);
        var slots = new TensorDiff?[b.Tensors.Count];
        var pairs = new List<(int Slot, DumpTensorEntry A, DumpTensorEntry B)>();
        for (var i = 0; i < b.Tensors.Count; i++)
        {
            var eb = b.Tensors[i];
            if (findA(eb.Key) is { } ea)
            {
                usedA.Add(ea.Key);
                pairs.Add((i, ea, eb));
                continue;
            }

            slots[i] = OneSided(eb, map, TensorStatus.OnlyInB) with { NeB = eb.Ne };
        }

        // Pairs are independent reads of two memory maps: compare them on every core, keep graph order in the slots.
        Parallel.ForEach(pairs, p => slots[p.Slot] = Compare(p.A, p.B, a, b, manifest, context, map));
        var diffs = new List<TensorDiff>(slots.Select(d => d!));

        diffs.AddRange(a.Tensors.Where(e => !usedA.Contains(e.Key) && !unrecorded(names?.KeyFor(e) ?? e.Key)).Select(ea => OneSided(ea, map, TensorStatus.OnlyInA) with { NeA = ea.Ne }));

        return new StepDiff { Step = manifest.Step, Tokens = manifest.Tokens, Positions = manifest.Positions, Tensors = diffs, Logits = Logits(a, b, findA, map.LogitsKey) };
    }

    /// <summary>
    /// A's tensor standing for B's key: under the name map's key for it when there is a map (the first of A's tensors
    /// to claim a key keeps it), else under its own key; either way, also under the descriptor's alias for B's key.
    /// </summary>
    internal static Func<string, DumpTensorEntry?> CandidateIndex(DumpStep a, GraphDescriptor map, NameMap? names)
    {
        var reverseAliases = map.Aliases.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
        var mapped = new Dictionary<string, DumpTensorEntry>(StringComparer.Ordinal);
        foreach (var e in a.Tensors)
        {
            mapped.TryAdd(names?.KeyFor(e) ?? e.Key, e);
        }

        return keyB => mapped.GetValueOrDefault(keyB) ?? (reverseAliases.TryGetValue(keyB, out var alias) ? mapped.GetValueOrDefault(alias) : null);
    }

    /// <summary>Token rankings of the graph's logits tensor (A's under its mapped name) at every position both sides computed it for.</summary>
    private static List<LogitsComparison> Logits(DumpStep a, DumpStep b, Func<string, DumpTensorEntry?> findA, string? keyB)
    {
        var logits = new List<LogitsComparison>();
        if (keyB is not null && findA(keyB) is { } la && b.TryGet(keyB, out var lb) && la.Ne[0] == lb.Ne[0] && la.Ne[1] == lb.Ne[1])
        {
            var fa = Floats(a, la);
            var fb = Floats(b, lb);
            var vocab = (int)lb.Ne[0];
            var rows = new LogitsComparison[lb.Ne[1]];
            Parallel.For(0, rows.Length, t => rows[t] = LogitsComparison.Compute(b.Manifest.Positions[t], fa.AsSpan(t * vocab, vocab), fb.AsSpan(t * vocab, vocab)));
            logits.AddRange(rows);
        }

        return logits;
    }

    private TensorDiff Compare(DumpTensorEntry ea, DumpTensorEntry eb, DumpStep a, DumpStep b, StepManifest manifest, ComparisonContext context, GraphDescriptor map)
    {
        var rule = Policy.RuleFor(eb.Name, context);
        var labels = map.DimensionLabels(eb.Name, eb.Occurrence);
        var diff = new TensorDiff { Key = eb.Key, Name = eb.Name, Op = eb.Op, Layer = eb.Layer, NeA = ea.Ne, NeB = eb.Ne, Rule = rule, Status = TensorStatus.Failed, DimensionLabels = labels };
        if (ea.DType is DumpDType.I32 && eb.DType is DumpDType.I32)
        {
            return CompareIndices(diff, ea, eb, a, b, manifest, map);
        }

        if (ea.DType is not (DumpDType.F32 or DumpDType.F16 or DumpDType.BF16) || eb.DType is not (DumpDType.F32 or DumpDType.F16 or DumpDType.BF16))
        {
            return diff with { Status = TensorStatus.NotCompared, Note = $"dtype {ea.DType} / {eb.DType}: raw bytes are not compared" };
        }

        try
        {
            var pair = new PairContext(b, manifest, rule, map);
            if (names?.LayoutFor(ea) is not { } layout)
            {
                return CheckOp(Compare(diff, ea, eb, Read(a, ea), Read(b, eb), pair), ea, eb);
            }

            // The candidate's declared layout, taken to llama.cpp's before anything is compared.
            float[] values;
            long[] ne;
            try
            {
                (values, ne) = layout.Apply(Read(a, ea), ea.Ne, names!.LayoutSource(ea));
            }
            catch (InvalidDataException e)
            {
                return diff with { Status = TensorStatus.ShapeMismatch, Note = e.Message };
            }

            var shaped = ea with { Ne = ne, Shape = DumpTensorNames.ShapeFromNe(ne) };
            return CheckOp(Compare(diff with { NeA = ne }, shaped, eb, values, Read(b, eb), pair), ea, eb);
        }
        finally
        {
            // One pass: drop the pages from the resident set so it holds the pairs in flight, not both dumps.
            a.Release(ea);
            b.Release(eb);
        }
    }

    /// <summary>
    /// The same name must come from the same op: a candidate's GLU where llama.cpp has SWIGLU computes something else
    /// even when this input happens to give the same values. Checked after the values, so the metrics stay in the report.
    /// </summary>
    private static TensorDiff CheckOp(TensorDiff diff, DumpTensorEntry ea, DumpTensorEntry eb) =>
        string.Equals(ea.Op, eb.Op, StringComparison.Ordinal) || ea.Op == ForeignDump.UnknownOp || diff.Status is TensorStatus.NonFinite or TensorStatus.ShapeMismatch
            ? diff
            : diff with { Status = TensorStatus.OpMismatch, Op = eb.Op, Note = $"op differs: A {ea.Op}, B {eb.Op}" + (diff.Note is null ? string.Empty : "; " + diff.Note) };

    /// <summary>
    /// Integer tensors (expert indices) are equal or not, whatever the regime: identical, or Differs with the count of
    /// differing entries and, for an expert choice, which token chose which experts on each side.
    /// </summary>
    private static TensorDiff CompareIndices(TensorDiff diff, DumpTensorEntry ea, DumpTensorEntry eb, DumpStep a, DumpStep b, StepManifest manifest, GraphDescriptor map)
    {
        if (!ea.Ne.SequenceEqual(eb.Ne))
        {
            return diff with { Status = TensorStatus.ShapeMismatch, Note = $"shapes differ: A {DumpTensorEntry.FormatDims(ea.Ne)}, B {DumpTensorEntry.FormatDims(eb.Ne)}" };
        }

        var ia = a.GetInt32s(ea);
        var ib = b.GetInt32s(eb);
        var differing = 0;
        for (var i = 0; i < ib.Length; i++)
        {
            differing += ia[i] != ib[i] ? 1 : 0;
        }

        if (differing == 0)
        {
            return diff with { Status = TensorStatus.Passed, Note = "indices identical" };
        }

        var node = map.NodeOf(eb.Name, eb.Occurrence);
        var routing = node?.RoutesBy is { } probs ? ExpertRouting.Describe(ia, ib, (int)eb.Ne[0], eb.Op == "ARGSORT", manifest.Positions, b, eb.Layer is int layer ? GraphReference.LayerName(probs, layer) : probs) : null;
        return diff with { Status = TensorStatus.Differs, Note = $"{differing} of {ib.Length} indices differ" + (routing is null ? string.Empty : "; " + routing) };
    }

    /// <summary>A tensor present on one side only: not compared when the graph descriptor says why, else reported as missing.</summary>
    private static TensorDiff OneSided(DumpTensorEntry e, GraphDescriptor map, TensorStatus missing)
    {
        var ignored = map.IgnoreReason(e.Name);
        return new TensorDiff
        {
            Key = e.Key,
            Name = e.Name,
            Op = e.Op,
            Layer = e.Layer,
            Status = ignored is null ? missing : TensorStatus.NotCompared,
            Note = ignored ?? (missing == TensorStatus.OnlyInA ? "only in A" : "only in B"),
        };
    }

    /// <summary>
    /// A tensor's values as floats: F32 straight from the step's memory map, F16/BF16 converted into a fresh array.
    /// Measured on the 1.1B 16-token dumps (Linux 6.18, warm page cache): scanning the maps runs at 6-7 GB/s, positioned
    /// reads into a pooled buffer at 3-4 GB/s (the copy out of the page cache costs more than the map's faults, which
    /// the kernel takes a folio at a time).
    /// </summary>
    private static ReadOnlySpan<float> Read(DumpStep step, DumpTensorEntry entry) =>
        entry.DType == DumpDType.F32 ? step.GetFloats(entry) : step.ToFloat32Array(entry);

    private static TensorDiff Compare(TensorDiff diff, DumpTensorEntry ea, DumpTensorEntry eb, ReadOnlySpan<float> fa, ReadOnlySpan<float> fb, PairContext pair)
    {
        var (_, manifest, rule, map) = pair;
        ElementView view;
        if (map.NodeOf(eb.Name, eb.Occurrence) is { MaskedAttention: true } && ea.Ne[1] == eb.Ne[1] && ea.Ne[2] == eb.Ne[2])
        {
            var nKv = manifest.Positions[^1] + 1;
            if (ea.Ne[0] < nKv || eb.Ne[0] < nKv)
            {
                return diff with { Status = TensorStatus.ShapeMismatch, Note = $"attention over {ea.Ne[0]} / {eb.Ne[0]} cells, expected at least {nKv}" };
            }

            view = ElementView.Attention(nKv, eb.Ne[1], eb.Ne[2], ea.Ne[0], eb.Ne[0], manifest.Positions);
        }
        else if (ea.Ne.SequenceEqual(eb.Ne))
        {
            view = ElementView.Identity([.. eb.Ne]);
        }
        else
        {
            var note = fa.Length == fb.Length
                ? LayoutTransforms.Explain(diff, fa, fb, eb.Ne, pair)
                : null;
            return diff with { Status = TensorStatus.ShapeMismatch, Note = note ?? $"shapes differ: A {DumpTensorEntry.FormatDims(ea.Ne)}, B {DumpTensorEntry.FormatDims(eb.Ne)}" };
        }

        var metrics = TensorComparer.Compare(fa, fb, view);
        var passed = rule.Passes(metrics);
        var status = metrics.HasNonFinite ? TensorStatus.NonFinite : passed ? TensorStatus.Passed : rule.IsIdentity ? TensorStatus.Differs : TensorStatus.Failed;
        diff = diff with { Metrics = metrics, Status = status };
        if (status == TensorStatus.NonFinite)
        {
            return diff with { Note = NonFiniteNote(metrics, diff.DimensionLabels) };
        }

        if (!passed)
        {
            var (ta, tb) = Dense(fa, fb, view);
            diff = diff with { Note = LayoutTransforms.Explain(diff, ta, tb, view.Ne, pair) };
        }

        return diff;
    }

    /// <summary>"non-finite: A 0 NaN 0 Inf, B 4 NaN 0 Inf; first at token 3, channel 7" (and whether the places agree).</summary>
    public static string NonFiniteNote(TensorMetrics m, IReadOnlyList<string>? labels)
    {
        ArgumentNullException.ThrowIfNull(m);
        var where = m.FirstNonFiniteAt is { } at ? "; first at " + (labels is null ? string.Join(", ", at) : DimensionLabels.Describe(labels, at)) : string.Empty;
        var kind = m.NonFiniteMismatch == 0
            ? $"both non-finite at the same {m.BothNonFinite} place(s)"
            : $"{m.NonFiniteMismatch} place(s) non-finite on one side only";
        return $"non-finite: A {m.A.NaN} NaN {m.A.Inf} Inf, B {m.B.NaN} NaN {m.B.Inf} Inf; {kind}{where}";
    }

    /// <summary>Both sides copied to the compared shape, masked cells zero, for the layout-transform search.</summary>
    private static (float[] A, float[] B) Dense(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ElementView view)
    {
        var n = view.Ne[0] * view.Ne[1] * view.Ne[2] * view.Ne[3];
        var da = new float[n];
        var db = new float[n];
        var ca = a.ToArray();
        var cb = b.ToArray();
        view.ForEach((ia, ib, i0, i1, i2) =>
        {
            var o = i0 + (view.Ne[0] * (i1 + (view.Ne[1] * i2)));
            da[o] = ca[ia];
            db[o] = cb[ib];
        });
        return (da, db);
    }

    private static float[] Floats(DumpStep step, DumpTensorEntry entry) =>
        entry.DType == DumpDType.F32 ? step.GetFloats(entry).ToArray() : step.ToFloat32Array(entry);
}

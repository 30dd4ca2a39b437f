using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Parity.Runner.Native;

namespace Parity.Runner;

/// <summary>
/// The eval callback (<c>cb_eval</c>): llama.cpp's scheduler calls it twice per graph node, first asking whether we
/// want the node (we say yes unless the name filter says no) and then, once it is computed, delivering it. Each
/// delivered tensor is copied out in ggml <c>ne</c> order, gathering non-contiguous views (permutes, KV cache views)
/// through their strides, and handed to <see cref="Sink"/>. Exceptions must not cross back into native code: the first
/// one is kept, the graph compute is cancelled, and the verb rethrows it.
/// </summary>
internal sealed unsafe class GraphTensorCapture
{
    private static GraphTensorCapture? _current;

    private readonly Regex? _filter;
    private byte[] _buffer = new byte[1 << 16];
    private bool _layoutChecked;

    public GraphTensorCapture(Regex? filter)
    {
        _filter = filter;
    }

    public delegate void TensorSink(string name, string op, string ggmlType, long[] ne, bool madeContiguous, ReadOnlySpan<byte> data);

    /// <summary>Receives each computed tensor, in graph order.</summary>
    public TensorSink? Sink { get; set; }

    public Exception? Failure { get; private set; }

    public int Delivered { get; private set; }

    public static delegate* unmanaged[Cdecl]<IntPtr, byte, IntPtr, byte> Callback => &OnEval;

    /// <summary>Makes this capture the one the (static) native callback feeds.</summary>
    public void Activate() => _current = this;

    [UnmanagedCallersOnly(CallConvs = [typeof(System.Runtime.CompilerServices.CallConvCdecl)])]
    private static byte OnEval(IntPtr tensor, byte ask, IntPtr userData)
    {
        var capture = _current;
        if (capture is null || capture.Failure is not null)
        {
            return 0;
        }

        try
        {
            var t = new GgmlTensor(tensor);
            if (ask != 0)
            {
                return capture._filter is null || capture._filter.IsMatch(t.Name) ? (byte)1 : (byte)0;
            }

            capture.Deliver(t);
            return 1;
        }
#pragma warning disable CA1031 // Nothing may escape into native code; the failure is rethrown by the verb.
        catch (Exception e)
#pragma warning restore CA1031
        {
            capture.Failure = e;
            return 0;
        }
    }

    private void Deliver(GgmlTensor t)
    {
        if (!_layoutChecked)
        {
            CheckLayout(t);
            _layoutChecked = true;
        }

        var ne = t.NeArray();
        var traits = LlamaApi.ggml_get_type_traits(t.Type);
        var layout = Abi.LlamaLayout.Current;
        var blockSize = *(long*)((byte*)traits + layout.Offset("ggml_type_traits.blck_size"));
        var typeSize = (long)*(nuint*)((byte*)traits + layout.Offset("ggml_type_traits.type_size"));
        var rowBytes = ne[0] / blockSize * typeSize;
        var total = checked((int)(rowBytes * ne[1] * ne[2] * ne[3]));
        if (_buffer.Length < total)
        {
            _buffer = new byte[Math.Max(total, _buffer.Length * 2)];
        }

        var contiguous = LlamaApi.ggml_is_contiguous(t.Pointer);
        fixed (byte* dst = _buffer)
        {
            if (t.Buffer == IntPtr.Zero || !LlamaApi.ggml_backend_buffer_is_host(t.Buffer))
            {
                if (!contiguous)
                {
                    throw new RunnerException(RunnerExitCodes.LlamaFailure, $"tensor '{t.Name}' is a non-contiguous view in device memory; only host buffers can be gathered");
                }

                LlamaApi.ggml_backend_tensor_get(t.Pointer, dst, 0, (nuint)total);
            }
            else if (contiguous)
            {
                Buffer.MemoryCopy((void*)t.Data, dst, total, total);
            }
            else
            {
                Gather(t, ne, blockSize, typeSize, rowBytes, dst);
            }
        }

        Delivered++;
        Sink?.Invoke(t.Name, t.OpDescription, t.TypeName, ne, !contiguous, _buffer.AsSpan(0, total));
    }

    /// <summary>Copies a strided view into row-major ne order: whole rows where dim 0 is dense, else element by element.</summary>
    private static void Gather(GgmlTensor t, long[] ne, long blockSize, long typeSize, long rowBytes, byte* dst)
    {
        var src = (byte*)t.Data;
        long nb0 = t.Nb(0), nb1 = t.Nb(1), nb2 = t.Nb(2), nb3 = t.Nb(3);
        var denseRows = nb0 == typeSize;
        if (blockSize != 1 && !denseRows)
        {
            throw new RunnerException(RunnerExitCodes.LlamaFailure, $"tensor '{t.Name}' is a quantized view with strided rows; cannot gather");
        }

        var o = dst;
        for (long i3 = 0; i3 < ne[3]; i3++)
        {
            for (long i2 = 0; i2 < ne[2]; i2++)
            {
                for (long i1 = 0; i1 < ne[1]; i1++)
                {
                    var row = src + (i1 * nb1) + (i2 * nb2) + (i3 * nb3);
                    if (denseRows)
                    {
                        Buffer.MemoryCopy(row, o, rowBytes, rowBytes);
                        o += rowBytes;
                        continue;
                    }

                    for (long i0 = 0; i0 < ne[0]; i0++)
                    {
                        Buffer.MemoryCopy(row + (i0 * nb0), o, typeSize, typeSize);
                        o += typeSize;
                    }
                }
            }
        }
    }

    /// <summary>
    /// The first delivered tensor checks our reading of <c>struct ggml_tensor</c>: a name that ends within 64 bytes,
    /// sane dimensions, and, for a contiguous tensor, a byte size that agrees with <c>ggml_nbytes</c>.
    /// </summary>
    private static void CheckLayout(GgmlTensor t)
    {
        var nameBytes = new ReadOnlySpan<byte>((byte*)t.Pointer + GgmlTensor.NameOffset, GgmlTensor.MaxName);
        var problems = new List<string>();
        if (nameBytes.IndexOf((byte)0) < 0)
        {
            problems.Add($"name at offset {GgmlTensor.NameOffset} is not NUL-terminated within {GgmlTensor.MaxName} bytes");
        }

        for (var i = 0; i < 4; i++)
        {
            if (t.Ne(i) is < 1 or > (1L << 40))
            {
                problems.Add($"ne[{i}] at offset {GgmlTensor.NeOffset + (8 * i)} reads {t.Ne(i)}");
            }
        }

        if (t.Type is < 0 or > 64)
        {
            problems.Add($"type at offset {GgmlTensor.TypeOffset} reads {t.Type}");
        }

        if (problems.Count == 0 && LlamaApi.ggml_is_contiguous(t.Pointer))
        {
            var expected = (long)LlamaApi.ggml_row_size(t.Type, t.Ne(0)) * t.Ne(1) * t.Ne(2) * t.Ne(3);
            var actual = (long)LlamaApi.ggml_nbytes(t.Pointer);
            if (expected != actual)
            {
                problems.Add($"ggml_nbytes is {actual} but ne read at offset {GgmlTensor.NeOffset} gives {expected}");
            }
        }

        if (problems.Count > 0)
        {
            throw new RunnerException(RunnerExitCodes.AbiMismatch, $"struct ggml_tensor does not have the layout the runner chose ({Abi.LlamaLayout.Current.Source}): {string.Join("; ", problems)}");
        }
    }
}

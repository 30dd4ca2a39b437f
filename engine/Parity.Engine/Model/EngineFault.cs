namespace Parity.Engine.Model;

/// <summary>
/// Classic porting bugs the tests can switch on through <see cref="EngineTestHooks"/> (never a product option), so the
/// bisect tooling is proven to name each one: the op, the tensor, and that the error is local.
/// </summary>
internal enum EngineFault
{
    None,

    /// <summary>RoPE pairs (i, i + d/2) (NEOX) where llama's NORM mode pairs (2i, 2i+1).</summary>
    RopeNeoxPairing,

    /// <summary>RoPE frequency base 500000 instead of the file's.</summary>
    RopeWrongFreqBase,

    /// <summary>RMSNorm epsilon ten times the file's.</summary>
    RmsEpsTenTimes,

    /// <summary>Query head h reads KV head h % n_kv instead of h / (n_head / n_kv).</summary>
    GqaModuloMapping,

    /// <summary>The gate and up projections swapped.</summary>
    GateUpSwapped,

    /// <summary>Softmax without the 1/sqrt(head_dim) scale.</summary>
    SoftmaxScaleMissing,

    /// <summary>Decode steps (one token after a prompt) rotate at position + 1; the prompt is right.</summary>
    DecodePositionOffByOne,

    /// <summary>The LM head multiplies by the token embeddings instead of output.weight.</summary>
    LmHeadWrongMatrix,

    /// <summary>The causal mask lets each token see one position too many.</summary>
    CausalMaskOffByOne,
}

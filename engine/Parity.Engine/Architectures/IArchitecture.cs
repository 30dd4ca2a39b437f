using Parity.Engine.Kernels;
using Parity.Engine.Model;
using Parity.Gguf;

namespace Parity.Engine.Architectures;

/// <summary>
/// One model architecture, as llama.cpp keeps one file per model in <c>src/models/</c>: its hyperparameters, its
/// tensor set and its forward graph. <see cref="ArchitectureRegistry"/> maps <c>general.architecture</c> to units.
/// </summary>
public interface IArchitecture
{
    /// <summary>The <c>general.architecture</c> value this unit implements.</summary>
    string Name { get; }

    /// <summary>Hyperparameters from GGUF metadata with this architecture's defaults; refuses values it does not implement.</summary>
    ModelConfig ReadConfig(GgufFile file);

    /// <summary>
    /// The tensor set, required and optional, checked against <paramref name="config"/> and taken through a
    /// <see cref="TensorSet"/> over <paramref name="types"/>; every tensor in the file must be used.
    /// </summary>
    ModelWeights LoadWeights(GgufFile file, ModelConfig config, GgmlTypeTable types);

    /// <summary>The forward graph over the loaded weights.</summary>
    Transformer Create(GgufFile file, ModelConfig config, ModelWeights weights, EngineOptions options);
}

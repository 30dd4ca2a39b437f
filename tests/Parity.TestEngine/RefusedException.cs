namespace Parity.TestEngine;

/// <summary>A request the engine does not implement (a model, architecture, tensor type or protocol version): exit 3.</summary>
internal sealed class RefusedException(string message) : Exception(message);

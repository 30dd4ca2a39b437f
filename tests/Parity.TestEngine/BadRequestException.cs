namespace Parity.TestEngine;

/// <summary>A malformed request or model file: exit 2, naming what was wrong.</summary>
internal sealed class BadRequestException(string message) : Exception(message);

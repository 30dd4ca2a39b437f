using Parity.Gguf;

namespace Parity.Harness.Models;

/// <summary>
/// Applies a model's chat template to one user message, the same text for both sides. Templates are Jinja in GGUF;
/// like llama.cpp's built-in matcher, this recognizes known families by their markers rather than running Jinja.
/// </summary>
public static class ChatTemplate
{
    public static string Apply(string modelPath, string userMessage)
    {
        using var file = GgufFile.Open(modelPath);
        var template = file.TryGetValue(GgufKeys.ChatTemplate, out var t) ? t.AsString() : null;
        if (template is null || template.Contains("<|user|>", StringComparison.Ordinal))
        {
            // TinyLlama / Zephyr form; also the default for models without a template, as llama.cpp's TinyLlama chat.
            return $"<|user|>\n{userMessage}</s>\n<|assistant|>\n";
        }

        if (template.Contains("[INST]", StringComparison.Ordinal))
        {
            return $"[INST] {userMessage} [/INST]";
        }

        throw new ArgumentException($"{modelPath}: the chat template is not one Parity recognizes (TinyLlama/Zephyr <|user|> or Llama 2 [INST])");
    }
}

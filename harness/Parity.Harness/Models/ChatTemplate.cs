using Parity.Gguf;

namespace Parity.Harness.Models;

/// <summary>
/// Applies a model's chat template to one user message, the same text for both sides. Templates are Jinja in GGUF;
/// like llama.cpp's built-in matcher, this recognizes known families by their markers rather than running Jinja.
/// </summary>
public static class ChatTemplate
{
    // What llama.cpp's trim removes (C isspace).
    private static readonly char[] AsciiSpace = [' ', '\t', '\n', '\v', '\f', '\r'];

    public static string Apply(string modelPath, string userMessage)
    {
        using var file = GgufFile.Open(modelPath);
        var template = file.TryGetValue(GgufKeys.ChatTemplate, out var t) ? t.AsString() : null;
        if (template is not null && template.Contains("<|assistant|>", StringComparison.Ordinal) && template.Contains("<|end|>", StringComparison.Ordinal))
        {
            // Phi-3, as llama.cpp's built-in form (it tells Phi-3 from Zephyr by <|end|>); BOS comes from the tokenizer.
            return $"<|user|>\n{userMessage}<|end|>\n<|assistant|>\n";
        }

        if (template is null || template.Contains("<|user|>", StringComparison.Ordinal))
        {
            // TinyLlama / Zephyr form; also the default for models without a template, as llama.cpp's TinyLlama chat.
            return $"<|user|>\n{userMessage}</s>\n<|assistant|>\n";
        }

        if (template.Contains("<|start_header_id|>", StringComparison.Ordinal) && template.Contains("<|end_header_id|>", StringComparison.Ordinal))
        {
            // Llama 3, as llama.cpp's built-in form: the content trimmed, no BOS (the tokenizer adds it).
            return $"<|start_header_id|>user<|end_header_id|>\n\n{userMessage.Trim(AsciiSpace)}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n";
        }

        if (template.Contains("<|im_start|>", StringComparison.Ordinal))
        {
            // ChatML (Qwen2, Qwen2.5, Qwen3), as llama.cpp's built-in form: no default system message.
            return $"<|im_start|>user\n{userMessage}<|im_end|>\n<|im_start|>assistant\n";
        }

        if (template.Contains("<start_of_turn>", StringComparison.Ordinal))
        {
            // Gemma, as llama.cpp's built-in form: the content trimmed, the assistant's turn called model, BOS from the tokenizer.
            return $"<start_of_turn>user\n{userMessage.Trim(AsciiSpace)}<end_of_turn>\n<start_of_turn>model\n";
        }

        if (template.Contains("[INST]", StringComparison.Ordinal))
        {
            return $"[INST] {userMessage} [/INST]";
        }

        throw new ArgumentException($"{modelPath}: the chat template is not one Parity recognizes (TinyLlama/Zephyr <|user|>, Phi-3 <|user|> with <|end|>, Llama 3 <|start_header_id|>, ChatML <|im_start|>, Gemma <start_of_turn> or Llama 2 [INST])");
    }
}

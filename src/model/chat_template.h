#pragma once
// Chat prompt formats. Like llama.cpp's llm_chat_detect_template we do not run
// the Jinja template in `tokenizer.chat_template`: we recognise the family it
// belongs to by distinctive substrings (or by a bare name such as "chatml")
// and render that family's format in code. Unrecognised or absent templates
// get a plain "role: content" transcript.

#include <string>
#include <string_view>
#include <vector>

#include "gguf/reader.h"

namespace ss::model {

enum class ChatFormat {
  kPlain,            // fallback: "role: content\n" lines, then "assistant:"
  kChatMl,           // <|im_start|>role\ncontent<|im_end|>\n
  kLlama2,           // [INST] ... [/INST], system text folded into the first turn
  kLlama2Sys,        // ... with <<SYS>> blocks
  kLlama2SysBos,     // ... and <s> before every later turn
  kLlama2SysStrip,   // ... and message contents trimmed
  kMistralV1,        // " [INST] user [/INST] assistant</s>"
  kMistralV3,        // "[INST] user[/INST] assistant</s>", assistant trimmed
  kMistralV3Tekken,  // "[INST]user[/INST]assistant</s>"
  kMistralV7,        // [SYSTEM_PROMPT] ... [/SYSTEM_PROMPT][INST] ... [/INST]
  kLlama3,           // <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>
};

struct ChatMessage {
  std::string role;  // "system", "user", "assistant"
  std::string content;
};

// The family of a template text (or llama.cpp template name); kPlain when
// empty or unrecognised.
ChatFormat DetectChatFormat(std::string_view tmpl);
// From the model's `tokenizer.chat_template`, if any.
ChatFormat ChatFormatOf(const gguf::File& file);
const char* ChatFormatName(ChatFormat format);

// The prompt text for `messages`; with add_generation_prompt it ends where the
// assistant's reply begins (the [INST] formats always do). BOS is not part of
// it: the tokenizer adds it.
std::string RenderChat(ChatFormat format, const std::vector<ChatMessage>& messages,
                       bool add_generation_prompt);

}  // namespace ss::model

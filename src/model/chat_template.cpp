#include "model/chat_template.h"

#include <cctype>
#include <utility>

namespace ss::model {
namespace {

struct Named {
  const char* name;
  ChatFormat format;
};
// llama.cpp's template names for the formats we render.
constexpr Named kNames[] = {
    {"plain", ChatFormat::kPlain},
    {"chatml", ChatFormat::kChatMl},
    {"llama2", ChatFormat::kLlama2},
    {"llama2-sys", ChatFormat::kLlama2Sys},
    {"llama2-sys-bos", ChatFormat::kLlama2SysBos},
    {"llama2-sys-strip", ChatFormat::kLlama2SysStrip},
    {"mistral-v1", ChatFormat::kMistralV1},
    {"mistral-v3", ChatFormat::kMistralV3},
    {"mistral-v3-tekken", ChatFormat::kMistralV3Tekken},
    {"mistral-v7", ChatFormat::kMistralV7},
    {"llama3", ChatFormat::kLlama3},
};

std::string Trim(std::string_view s) {
  size_t begin = 0, end = s.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(s[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(s[end - 1]))) --end;
  return std::string(s.substr(begin, end - begin));
}

// The [INST] family, told apart the way llama.cpp does.
ChatFormat DetectInstFormat(std::string_view tmpl) {
  auto has = [&](std::string_view s) { return tmpl.find(s) != std::string_view::npos; };
  if (has("[SYSTEM_PROMPT]")) return ChatFormat::kMistralV7;
  if (has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]")) {
    if (has(" [INST]")) return ChatFormat::kMistralV1;
    if (has("\"[INST]\"")) return ChatFormat::kMistralV3Tekken;
    return ChatFormat::kMistralV3;
  }
  if (has("content.strip()")) return ChatFormat::kLlama2SysStrip;
  if (has("bos_token + '[INST]")) return ChatFormat::kLlama2SysBos;
  if (has("<<SYS>>")) return ChatFormat::kLlama2Sys;
  return ChatFormat::kLlama2;
}

std::string RenderChatMl(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  std::string out;
  for (const ChatMessage& m : messages) out += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

std::string RenderLlama3(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  std::string out;
  for (const ChatMessage& m : messages)
    out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + Trim(m.content) + "<|eot_id|>";
  if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

std::string RenderLlama2(ChatFormat format, const std::vector<ChatMessage>& messages) {
  const bool system_block = format != ChatFormat::kLlama2;
  const bool bos_per_turn = format == ChatFormat::kLlama2SysBos;
  const bool strip = format == ChatFormat::kLlama2SysStrip;
  std::string out = "[INST] ";  // the first turn's BOS comes from the tokenizer
  bool inside_turn = true;
  for (const ChatMessage& m : messages) {
    const std::string content = strip ? Trim(m.content) : m.content;
    if (!inside_turn) {
      out += bos_per_turn ? "<s>[INST] " : "[INST] ";
      inside_turn = true;
    }
    if (m.role == "system") {
      out += system_block ? "<<SYS>>\n" + content + "\n<</SYS>>\n\n" : content + "\n";
    } else if (m.role == "user") {
      out += content + " [/INST]";
    } else {
      out += content + "</s>";
      inside_turn = false;
    }
  }
  return out;
}

std::string RenderMistral(ChatFormat format, const std::vector<ChatMessage>& messages) {
  const std::string lead = format == ChatFormat::kMistralV1 ? " " : "";
  const std::string trail = format == ChatFormat::kMistralV3Tekken ? "" : " ";
  const bool trim_assistant = format == ChatFormat::kMistralV3;
  std::string out;
  bool inside_turn = false;
  for (const ChatMessage& m : messages) {
    if (!inside_turn) {
      out += lead + "[INST]" + trail;
      inside_turn = true;
    }
    if (m.role == "system") {
      out += m.content + "\n\n";
    } else if (m.role == "user") {
      out += m.content + lead + "[/INST]";
    } else {
      out += trail + (trim_assistant ? Trim(m.content) : m.content) + "</s>";
      inside_turn = false;
    }
  }
  return out;
}

std::string RenderMistralV7(const std::vector<ChatMessage>& messages) {
  std::string out;
  for (const ChatMessage& m : messages) {
    if (m.role == "system") {
      out += "[SYSTEM_PROMPT] " + m.content + "[/SYSTEM_PROMPT]";
    } else if (m.role == "user") {
      out += "[INST] " + m.content + "[/INST]";
    } else {
      out += " " + m.content + "</s>";
    }
  }
  return out;
}

std::string RenderPlain(const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
  std::string out;
  for (const ChatMessage& m : messages) out += m.role + ": " + m.content + "\n";
  if (add_generation_prompt) out += "assistant:";
  return out;
}

}  // namespace

ChatFormat DetectChatFormat(std::string_view tmpl) {
  for (const Named& n : kNames)
    if (tmpl == n.name) return n.format;
  auto has = [&](std::string_view s) { return tmpl.find(s) != std::string_view::npos; };
  // Same order of tests as llama.cpp, so an ambiguous template lands where it would there.
  if (has("<|im_start|>"))
    return has("<|im_sep|>") ? ChatFormat::kPlain : ChatFormat::kChatMl;  // Phi-4: not ours
  if (tmpl.starts_with("mistral") || has("[INST]")) return DetectInstFormat(tmpl);
  if (has("<|start_header_id|>") && has("<|end_header_id|>")) return ChatFormat::kLlama3;
  return ChatFormat::kPlain;
}

ChatFormat ChatFormatOf(const gguf::File& file) {
  return DetectChatFormat(file.GetStringOr("tokenizer.chat_template", ""));
}

const char* ChatFormatName(ChatFormat format) {
  for (const Named& n : kNames)
    if (n.format == format) return n.name;
  return "plain";
}

std::string RenderChat(ChatFormat format, const std::vector<ChatMessage>& messages,
                       bool add_generation_prompt) {
  switch (format) {
    case ChatFormat::kChatMl:
      return RenderChatMl(messages, add_generation_prompt);
    case ChatFormat::kLlama3:
      return RenderLlama3(messages, add_generation_prompt);
    case ChatFormat::kLlama2:
    case ChatFormat::kLlama2Sys:
    case ChatFormat::kLlama2SysBos:
    case ChatFormat::kLlama2SysStrip:
      return RenderLlama2(format, messages);
    case ChatFormat::kMistralV1:
    case ChatFormat::kMistralV3:
    case ChatFormat::kMistralV3Tekken:
      return RenderMistral(format, messages);
    case ChatFormat::kMistralV7:
      return RenderMistralV7(messages);
    case ChatFormat::kPlain:
      break;
  }
  return RenderPlain(messages, add_generation_prompt);
}

}  // namespace ss::model

#include "model/chat_template.h"

#include <gtest/gtest.h>

namespace ss::model {
namespace {

// The conversation llama.cpp's test-chat-template uses.
const std::vector<ChatMessage> kChat = {
    {"system", "You are a helpful assistant"},
    {"user", "Hello"},
    {"assistant", "Hi there"},
    {"user", "Who are you"},
    {"assistant", "   I am an assistant   "},
    {"user", "Another question"},
};

TEST(ChatTemplate, DetectsFamiliesBySubstring) {
  const std::pair<const char*, ChatFormat> cases[] = {
      {"", ChatFormat::kPlain},
      {"{{ messages | tojson }}", ChatFormat::kPlain},
      {"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
       "'<|im_end|>' + '\\n'}}{% endfor %}",
       ChatFormat::kChatMl},
      {"{{'<|im_start|>' + message['role'] + '<|im_sep|>'}}", ChatFormat::kPlain},  // Phi-4 is not ours
      {"{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + "
       "message['content'] | trim + '<|eot_id|>' %}",
       ChatFormat::kLlama3},
      {"{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{{ '<<SYS>>\\n' + system + '\\n<</SYS>>' "
       "}}",
       ChatFormat::kLlama2SysStrip},
      {"{{ bos_token + '[INST] ' + message['content'] + ' [/INST]' }}{{ '<<SYS>>' }}",
       ChatFormat::kLlama2SysBos},
      {"{{ '[INST] <<SYS>>' + m + ' [/INST]' }}", ChatFormat::kLlama2Sys},
      {"{{ '[INST] ' + m + ' [/INST]' }}", ChatFormat::kLlama2},
      {"{{ bos_token }}{{ ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}",
       ChatFormat::kMistralV1},
      {"{{- '[INST] ' + message['content'] + '[/INST]' }}{{ '[AVAILABLE_TOOLS] [' }}",
       ChatFormat::kMistralV3},
      {"{{- \"[INST]\" + message['content'] + \"[/INST]\" }}{{- \"[AVAILABLE_TOOLS]\" }}",
       ChatFormat::kMistralV3Tekken},
      {"{{ '[SYSTEM_PROMPT] ' + s + '[/SYSTEM_PROMPT]' }}{{ '[INST] ' }}", ChatFormat::kMistralV7},
      {"chatml", ChatFormat::kChatMl},
      {"llama3", ChatFormat::kLlama3},
      {"mistral-v7", ChatFormat::kMistralV7},
  };
  for (const auto& [tmpl, format] : cases) {
    EXPECT_EQ(DetectChatFormat(tmpl), format) << tmpl << " -> " << ChatFormatName(DetectChatFormat(tmpl));
  }
}

TEST(ChatTemplate, RendersEachFormatLikeLlamaCpp) {
  const std::pair<ChatFormat, const char*> cases[] = {
      {ChatFormat::kChatMl,
       "<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n"
       "<|im_start|>assistant\nHi there<|im_end|>\n<|im_start|>user\nWho are you<|im_end|>\n"
       "<|im_start|>assistant\n   I am an assistant   <|im_end|>\n<|im_start|>user\nAnother "
       "question<|im_end|>\n"
       "<|im_start|>assistant\n"},
      {ChatFormat::kLlama3,
       "<|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant<|eot_id|>"
       "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
       "<|start_header_id|>assistant<|end_header_id|>\n\nHi there<|eot_id|>"
       "<|start_header_id|>user<|end_header_id|>\n\nWho are you<|eot_id|>"
       "<|start_header_id|>assistant<|end_header_id|>\n\nI am an assistant<|eot_id|>"
       "<|start_header_id|>user<|end_header_id|>\n\nAnother question<|eot_id|>"
       "<|start_header_id|>assistant<|end_header_id|>\n\n"},
      {ChatFormat::kLlama2,
       "[INST] You are a helpful assistant\nHello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an "
       "assistant   </s>[INST] Another question [/INST]"},
      {ChatFormat::kLlama2Sys,
       "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] Who are you "
       "[/INST]   I am an assistant   </s>[INST] Another question [/INST]"},
      {ChatFormat::kLlama2SysBos,
       "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s><s>[INST] Who are "
       "you "
       "[/INST]   I am an assistant   </s><s>[INST] Another question [/INST]"},
      {ChatFormat::kLlama2SysStrip,
       "[INST] <<SYS>>\nYou are a helpful assistant\n<</SYS>>\n\nHello [/INST]Hi there</s>[INST] Who are you "
       "[/INST]I am an assistant</s>[INST] Another question [/INST]"},
      {ChatFormat::kMistralV1,
       " [INST] You are a helpful assistant\n\nHello [/INST] Hi there</s> [INST] Who are you [/INST]    I am "
       "an "
       "assistant   </s> [INST] Another question [/INST]"},
      {ChatFormat::kMistralV3,
       "[INST] You are a helpful assistant\n\nHello[/INST] Hi there</s>[INST] Who are you[/INST] I am an "
       "assistant</s>[INST] Another question[/INST]"},
      {ChatFormat::kMistralV3Tekken,
       "[INST]You are a helpful assistant\n\nHello[/INST]Hi there</s>[INST]Who are you[/INST]   I am an "
       "assistant   </s>[INST]Another question[/INST]"},
      {ChatFormat::kMistralV7,
       "[SYSTEM_PROMPT] You are a helpful assistant[/SYSTEM_PROMPT][INST] Hello[/INST] Hi there</s>[INST] "
       "Who are "
       "you[/INST]    I am an assistant   </s>[INST] Another question[/INST]"},
      {ChatFormat::kPlain,
       "system: You are a helpful assistant\nuser: Hello\nassistant: Hi there\nuser: Who are you\n"
       "assistant:    I am an assistant   \nuser: Another question\nassistant:"},
  };
  for (const auto& [format, expected] : cases) {
    EXPECT_EQ(RenderChat(format, kChat, true), expected) << ChatFormatName(format);
  }
}

TEST(ChatTemplate, GenerationPromptIsOptional) {
  const std::vector<ChatMessage> chat = {{"user", "Hi"}};
  EXPECT_EQ(RenderChat(ChatFormat::kChatMl, chat, false), "<|im_start|>user\nHi<|im_end|>\n");
  EXPECT_EQ(RenderChat(ChatFormat::kLlama3, chat, false),
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>");
  EXPECT_EQ(RenderChat(ChatFormat::kPlain, chat, false), "user: Hi\n");
  EXPECT_EQ(RenderChat(ChatFormat::kPlain, {}, true), "assistant:");
}

}  // namespace
}  // namespace ss::model

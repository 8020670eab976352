// The syntax tree of a parsed Go template: what the parser (go_template_parse.cc) builds
// and the executor (go_template.cc) walks. Internal to those files; not for other callers.
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace berth::client::gotmpl {

// Guards the recursive parser and executor against a stack overflow.
inline constexpr int kMaxNesting = 200;

// Positions (pos) are byte offsets into the template's text.

struct Pipe;

enum class ArgKind { Dot, Nil, Literal, Field, Variable, Func, Pipe, Chain };

struct Arg {
  ArgKind kind = ArgKind::Dot;
  size_t pos = 0;
  std::string name;                 // Variable: "$x"; Func: the function
  std::string text;                 // Literal: the source text, for messages
  nlohmann::json lit;               // Literal: the bool, number or string
  std::vector<std::string> fields;  // Field, Variable, Chain: .A.B is {"A", "B"}
  std::unique_ptr<Pipe> pipe;       // Pipe: a parenthesized pipeline
  std::unique_ptr<Arg> base;        // Chain: what (...).A.B applies its fields to
};

struct Command {
  size_t pos = 0;
  std::vector<Arg> args;
};

struct Pipe {
  size_t pos = 0;
  bool is_assign = false;         // $x = ..., not $x := ...
  std::vector<std::string> decl;  // the variables it declares or assigns
  std::vector<Command> cmds;
};

// End and Else only pass from the parser's item lists to the control that owns them.
enum class NodeKind { Text, Action, If, Range, With, Break, Continue, End, Else };

struct Node {
  NodeKind kind = NodeKind::Text;
  size_t pos = 0;
  std::string text;
  std::unique_ptr<Pipe> pipe;
  std::vector<Node> list, else_list;
};

// Go's Node.String(), which execution errors quote.
std::string arg_string(const Arg& a);
std::string command_string(const Command& c);
std::string pipe_string(const Pipe& p);

// The 1-based line of pos in text, as Go's messages number lines.
int line_of(std::string_view text, size_t pos);

// Lexes and parses a template; errors read like Go's, e.g. `template: :1: unexpected EOF`.
Result<std::vector<Node>> parse_template(std::string_view text);

}  // namespace berth::client::gotmpl

// Lexer and parser for Go templates, after Go's text/template/parse and with its error
// messages (see go_template_tree.h).
#include "client/go_template_tree.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "client/go_template_funcs.h"
#include "client/go_text.h"

namespace berth::client::gotmpl {

using nlohmann::json;

namespace {

// ---------------------------------------------------------------------- characters

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Go accepts any Unicode letter in identifiers; any non-ASCII byte counts as one here.
bool is_alnum(char c) {
  return is_ascii_alnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80;
}

// Go's %#U, used by the lexer's messages: U+0022 '"'.
std::string char_desc(char32_t r) {
  std::string out = fmt::format("U+{:04X}", static_cast<unsigned>(r));
  if (is_print(r)) {
    out += " '";
    append_rune(out, r);
    out += '\'';
  }
  return out;
}

// ---------------------------------------------------------------------- lexer

enum class Tok {
  Error,
  Eof,
  Text,
  LeftDelim,
  RightDelim,
  Space,
  Field,
  Variable,
  Identifier,
  String,
  RawString,
  CharConst,
  Number,
  Bool,
  Pipe,
  Declare,
  Assign,
  LeftParen,
  RightParen,
  Char,
  // Keywords: Go's messages show these as <word>.
  Dot,
  Nil,
  Block,
  Break,
  Continue,
  Define,
  Else,
  End,
  If,
  Range,
  Template,
  With,
};

struct Token {
  Tok type;
  std::string val;
  size_t pos;
};

// Splits the whole template into tokens up front; a lexical error becomes the last token,
// so the parser reports earlier errors first, as Go's concurrent lexer makes it do.
class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}
  std::vector<Token> run();

 private:
  bool at(size_t p, std::string_view s) const {
    return p <= in_.size() && in_.substr(p).starts_with(s);
  }
  bool left_trim(size_t p) const {
    return at(p, "-") && p + 1 < in_.size() && is_space(in_[p + 1]);
  }
  bool right_trim(size_t p) const { return p < in_.size() && is_space(in_[p]) && at(p + 1, "-}}"); }
  bool at_right_delim(size_t p) const { return right_trim(p) || at(p, "}}"); }
  bool at_terminator(size_t p) const {
    if (p >= in_.size()) return true;
    char c = in_[p];
    return is_space(c) || std::string_view(".,|:()").find(c) != std::string_view::npos ||
           at(p, "}}");
  }
  void emit(Tok t, size_t start, size_t end) {
    toks_.push_back({t, std::string(in_.substr(start, end - start)), start});
  }
  bool error(size_t p, std::string msg) {
    toks_.push_back({Tok::Error, std::move(msg), p});
    return false;
  }
  bool bad_character(size_t p) {
    char32_t r;
    decode_rune(in_, p, &r);
    return error(p, "bad character " + char_desc(r));
  }

  bool comment(size_t& p);
  bool action(size_t& p);
  bool field_or_variable(size_t& p, Tok type);
  bool identifier(size_t& p);
  bool number(size_t& p);
  bool quoted(size_t& p, char quote, const char* unterminated);

  std::string_view in_;
  std::vector<Token> toks_;
};

std::vector<Token> Lexer::run() {
  size_t pos = 0;
  for (;;) {
    size_t x = in_.find("{{", pos);
    if (x == std::string_view::npos) {
      if (pos < in_.size()) emit(Tok::Text, pos, in_.size());
      toks_.push_back({Tok::Eof, "", in_.size()});
      return std::move(toks_);
    }
    bool trim = left_trim(x + 2);
    size_t end = x;
    if (trim) {
      while (end > pos && is_space(in_[end - 1])) --end;
    }
    if (end > pos) emit(Tok::Text, pos, end);
    size_t p = x + 2 + (trim ? 2 : 0);
    bool ok;
    if (at(p, "/*")) {
      ok = comment(p);
    } else {
      toks_.push_back({Tok::LeftDelim, "{{", x});
      ok = action(p);
    }
    if (!ok) return std::move(toks_);
    pos = p;
  }
}

// Past the closing delimiter, and past the following white space for " -}}".
void skip_right_delim(std::string_view in, size_t& p, bool trim) {
  p += trim ? 4 : 2;
  if (trim) {
    while (p < in.size() && is_space(in[p])) ++p;
  }
}

bool Lexer::comment(size_t& p) {
  size_t e = in_.find("*/", p + 2);
  if (e == std::string_view::npos) return error(p, "unclosed comment");
  p = e + 2;
  if (!at_right_delim(p)) return error(p, "comment ends before closing delimiter");
  skip_right_delim(in_, p, right_trim(p));
  return true;
}

bool Lexer::action(size_t& p) {
  int parens = 0;
  for (;;) {
    if (at_right_delim(p)) {
      if (parens > 0) return error(p, "unclosed left paren");
      toks_.push_back({Tok::RightDelim, "}}", p});
      skip_right_delim(in_, p, right_trim(p));
      return true;
    }
    if (p >= in_.size()) return error(p, "unclosed action");
    size_t start = p;
    char c = in_[p];
    if (is_space(c)) {
      while (p < in_.size() && is_space(in_[p]) && !right_trim(p)) ++p;
      emit(Tok::Space, start, p);
      continue;
    }
    switch (c) {
      case '=':
        emit(Tok::Assign, start, ++p);
        continue;
      case ':':
        if (!at(p + 1, "=")) return error(p, "expected :=");
        p += 2;
        emit(Tok::Declare, start, p);
        continue;
      case '|':
        emit(Tok::Pipe, start, ++p);
        continue;
      case '"':
        if (!quoted(p, '"', "unterminated quoted string")) return false;
        emit(Tok::String, start, p);
        continue;
      case '\'':
        if (!quoted(p, '\'', "unterminated character constant")) return false;
        emit(Tok::CharConst, start, p);
        continue;
      case '`': {
        size_t e = in_.find('`', p + 1);
        if (e == std::string_view::npos) return error(p, "unterminated raw quoted string");
        p = e + 1;
        emit(Tok::RawString, start, p);
        continue;
      }
      case '$':
        if (!field_or_variable(p, Tok::Variable)) return false;
        continue;
      case '(':
        ++parens;
        emit(Tok::LeftParen, start, ++p);
        continue;
      case ')':
        if (--parens < 0) return error(p, "unexpected right paren");
        emit(Tok::RightParen, start, ++p);
        continue;
      case '.':
        // ".5" is a number; anything else after a dot is a field.
        if (p + 1 >= in_.size() || !is_digit(in_[p + 1])) {
          if (!field_or_variable(p, Tok::Field)) return false;
          continue;
        }
        break;
      default:
        break;
    }
    if (c == '+' || c == '-' || c == '.' || is_digit(c)) {
      if (!number(p)) return false;
      continue;
    }
    if (is_alnum(c)) {
      if (!identifier(p)) return false;
      continue;
    }
    if (c >= 0x20 && c < 0x7F) {
      emit(Tok::Char, start, ++p);
      continue;
    }
    char32_t r;
    decode_rune(in_, p, &r);
    return error(p, "unrecognized character in action: " + char_desc(r));
  }
}

bool Lexer::field_or_variable(size_t& p, Tok type) {
  size_t start = p++;
  if (at_terminator(p)) {
    emit(type == Tok::Field ? Tok::Dot : Tok::Variable, start, p);
    return true;
  }
  while (p < in_.size() && is_alnum(in_[p])) ++p;
  if (!at_terminator(p)) return bad_character(p);
  emit(type, start, p);
  return true;
}

bool Lexer::identifier(size_t& p) {
  size_t start = p;
  while (p < in_.size() && is_alnum(in_[p])) ++p;
  if (!at_terminator(p)) return bad_character(p);
  static constexpr std::pair<std::string_view, Tok> kWords[] = {
      {"block", Tok::Block},
      {"break", Tok::Break},
      {"continue", Tok::Continue},
      {"define", Tok::Define},
      {"else", Tok::Else},
      {"end", Tok::End},
      {"if", Tok::If},
      {"range", Tok::Range},
      {"nil", Tok::Nil},
      {"template", Tok::Template},
      {"with", Tok::With},
      {"true", Tok::Bool},
      {"false", Tok::Bool},
  };
  std::string_view word = in_.substr(start, p - start);
  Tok type = Tok::Identifier;
  for (const auto& [w, t] : kWords) {
    if (w == word) type = t;
  }
  emit(type, start, p);
  return true;
}

// Go's scanNumber: a lenient scan; the parser decides whether the text is a number.
bool Lexer::number(size_t& p) {
  size_t start = p;
  auto accept = [&](std::string_view set) {
    if (p < in_.size() && set.find(in_[p]) != std::string_view::npos) {
      ++p;
      return true;
    }
    return false;
  };
  auto accept_run = [&](std::string_view set) {
    while (accept(set)) {
    }
  };
  constexpr std::string_view kDecimal = "0123456789_";
  constexpr std::string_view kHex = "0123456789abcdefABCDEF_";
  accept("+-");
  std::string_view digits = kDecimal;
  if (accept("0")) {
    if (accept("xX")) {
      digits = kHex;
    } else if (accept("oO")) {
      digits = "01234567_";
    } else if (accept("bB")) {
      digits = "01_";
    }
  }
  accept_run(digits);
  if (accept(".")) accept_run(digits);
  if (digits == kDecimal && accept("eE")) {
    accept("+-");
    accept_run(kDecimal);
  }
  if (digits == kHex && accept("pP")) {
    accept("+-");
    accept_run(kDecimal);
  }
  accept("i");
  if (p < in_.size() && is_alnum(in_[p])) {
    ++p;
    return error(start, "bad number syntax: " + go_quote(in_.substr(start, p - start)));
  }
  emit(Tok::Number, start, p);
  return true;
}

bool Lexer::quoted(size_t& p, char quote, const char* unterminated) {
  ++p;
  for (;;) {
    if (p >= in_.size() || in_[p] == '\n') return error(p, unterminated);
    char c = in_[p++];
    if (c == '\\') {
      if (p >= in_.size() || in_[p] == '\n') return error(p, unterminated);
      ++p;
    } else if (c == quote) {
      return true;
    }
  }
}

// ---------------------------------------------------------------------- syntax tree

Node make_node(NodeKind kind, size_t pos) {
  Node n;
  n.kind = kind;
  n.pos = pos;
  return n;
}

std::string join_fields(const std::vector<std::string>& fields) {
  std::string s;
  for (const std::string& f : fields) s += "." + f;
  return s;
}

}  // namespace

int line_of(std::string_view text, size_t pos) {
  std::string_view before = text.substr(0, std::min(pos, text.size()));
  return 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
}

// Go's Node.String(), which execution errors quote.
std::string arg_string(const Arg& a) {
  switch (a.kind) {
    case ArgKind::Dot:
      return ".";
    case ArgKind::Nil:
      return "nil";
    case ArgKind::Literal:
      return a.text;
    case ArgKind::Field:
      return join_fields(a.fields);
    case ArgKind::Variable:
      return a.name + join_fields(a.fields);
    case ArgKind::Func:
      return a.name;
    case ArgKind::Pipe:
      return "(" + pipe_string(*a.pipe) + ")";
    case ArgKind::Chain:
      return arg_string(*a.base) + join_fields(a.fields);
  }
  return "";
}

std::string command_string(const Command& c) {
  std::string s;
  for (const Arg& a : c.args) {
    if (!s.empty()) s += ' ';
    s += arg_string(a);
  }
  return s;
}

std::string pipe_string(const Pipe& p) {
  std::string s;
  for (size_t i = 0; i < p.decl.size(); ++i) s += (i > 0 ? ", " : "") + p.decl[i];
  if (!p.decl.empty()) s += p.is_assign ? " = " : " := ";
  for (size_t i = 0; i < p.cmds.size(); ++i) s += (i > 0 ? " | " : "") + command_string(p.cmds[i]);
  return s;
}

namespace {

// ---------------------------------------------------------------------- parser

std::optional<std::string> unquote(const Token& t) {
  std::string_view body = std::string_view(t.val).substr(1, t.val.size() - 2);
  std::string out;
  if (t.type == Tok::RawString) {
    for (char c : body) {
      if (c != '\r') out += c;  // as strconv.Unquote drops them
    }
    return out;
  }
  for (size_t i = 0; i < body.size();) {
    auto c = unquote_char(body, i, '"');
    if (!c) return std::nullopt;
    if (c->byte) {
      out += static_cast<char>(c->value);
    } else {
      append_rune(out, c->value);
    }
  }
  return out;
}

// How Go's messages show a token: "x", <keyword>, EOF.
std::string token_string(const Token& t) {
  if (t.type == Tok::Eof) return "EOF";
  if (t.type == Tok::Error) return t.val;
  if (t.type >= Tok::Dot) return "<" + t.val + ">";
  if (rune_count(t.val) > 10) return go_quote(first_runes(t.val, 10)) + "...";
  return go_quote(t.val);
}

bool starts_operand(Tok t) {
  switch (t) {
    case Tok::Bool:
    case Tok::CharConst:
    case Tok::Dot:
    case Tok::Field:
    case Tok::Identifier:
    case Tok::Number:
    case Tok::Nil:
    case Tok::RawString:
    case Tok::String:
    case Tok::Variable:
    case Tok::LeftParen:
      return true;
    default:
      return false;
  }
}

// Recursive descent after Go's text/template/parse, with the same error messages.
class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> toks) : text_(text), toks_(std::move(toks)) {}

  Result<std::vector<Node>> parse();

 private:
  // Past the end, next() keeps returning the final Eof or Error token.
  const Token& next() {
    const Token& t = toks_[std::min(i_, toks_.size() - 1)];
    ++i_;
    return t;
  }
  void backup() { --i_; }
  const Token& peek() const { return toks_[std::min(i_, toks_.size() - 1)]; }
  const Token& next_non_space() {
    for (;;) {
      const Token& t = next();
      if (t.type != Tok::Space) return t;
    }
  }
  const Token& peek_non_space() {
    const Token& t = next_non_space();
    backup();
    return t;
  }

  std::unexpected<Error> error_at(size_t pos, std::string_view msg) const {
    return fail(ErrorKind::InvalidArgument, "template: :{}: {}", line_of(text_, pos), msg);
  }
  std::unexpected<Error> unexpected(const Token& t, std::string_view context) const;

  Result<Node> text_or_action();
  Result<Node> action();
  Result<Node> item_list(std::vector<Node>& list);
  Result<Node> control(const Token& keyword);
  Result<Node> loop_control(const Token& keyword);
  Result<Node> else_control();
  Result<std::unique_ptr<Pipe>> pipeline(std::string_view context, Tok end);
  Status check_pipeline(const Pipe& pipe, std::string_view context, size_t pos) const;
  Result<Command> command();
  Result<std::optional<Arg>> operand();
  Result<std::optional<Arg>> term();
  Result<json> number(const Token& t) const;

  std::string_view text_;
  std::vector<Token> toks_;
  size_t i_ = 0;
  std::vector<std::string> vars_{"$"};  // variables in scope
  int range_depth_ = 0;                 // for {{break}} and {{continue}}
  int nesting_ = 0;
  int action_line_ = 0;  // where the action being parsed started, for lexer errors
};

std::unexpected<Error> Parser::unexpected(const Token& t, std::string_view context) const {
  if (t.type == Tok::Error) {
    std::string msg = t.val;
    int line = line_of(text_, t.pos);
    if (action_line_ != 0 && action_line_ != line) {
      // "unclosed action started at :1" rather than "... action in action started at".
      msg += msg.ends_with(" action") ? "" : " in action";
      msg += fmt::format(" started at :{}", action_line_);
    }
    return error_at(t.pos, msg);
  }
  return error_at(t.pos, fmt::format("unexpected {} in {}", token_string(t), context));
}

Result<std::vector<Node>> Parser::parse() {
  std::vector<Node> root;
  while (peek().type != Tok::Eof) {
    BERTH_ASSIGN(Node n, text_or_action());
    if (n.kind == NodeKind::End) return error_at(n.pos, "unexpected {{end}}");
    if (n.kind == NodeKind::Else) return error_at(n.pos, "unexpected {{else}}");
    root.push_back(std::move(n));
  }
  return root;
}

Result<Node> Parser::item_list(std::vector<Node>& list) {
  while (peek_non_space().type != Tok::Eof) {
    BERTH_ASSIGN(Node n, text_or_action());
    if (n.kind == NodeKind::End || n.kind == NodeKind::Else) return n;
    list.push_back(std::move(n));
  }
  return error_at(peek().pos, "unexpected EOF");
}

Result<Node> Parser::text_or_action() {
  const Token& t = next_non_space();
  if (t.type == Tok::Text) {
    Node n = make_node(NodeKind::Text, t.pos);
    n.text = t.val;
    return n;
  }
  if (t.type != Tok::LeftDelim) return unexpected(t, "input");
  int outer = action_line_;
  action_line_ = line_of(text_, t.pos);
  Result<Node> n = action();
  action_line_ = outer;
  return n;
}

Result<Node> Parser::action() {
  const Token& t = next_non_space();
  switch (t.type) {
    case Tok::Block:
    case Tok::Define:
    case Tok::Template:
      return error_at(t.pos, "{{" + t.val + "}} is not supported");
    case Tok::Break:
    case Tok::Continue:
      return loop_control(t);
    case Tok::Else:
      return else_control();
    case Tok::End: {
      const Token& d = next_non_space();
      if (d.type != Tok::RightDelim) return unexpected(d, "end");
      return make_node(NodeKind::End, t.pos);
    }
    case Tok::If:
    case Tok::Range:
    case Tok::With:
      return control(t);
    default:
      break;
  }
  backup();
  size_t pos = peek().pos;
  BERTH_ASSIGN(std::unique_ptr<Pipe> pipe, pipeline("command", Tok::RightDelim));
  Node n = make_node(NodeKind::Action, pos);
  n.pipe = std::move(pipe);
  return n;
}

Result<Node> Parser::control(const Token& keyword) {
  if (++nesting_ > kMaxNesting) return error_at(keyword.pos, "template nests too deeply");
  NodeKind kind = keyword.type == Tok::If      ? NodeKind::If
                  : keyword.type == Tok::Range ? NodeKind::Range
                                               : NodeKind::With;
  // Variables declared in the control's pipeline or body end with it.
  size_t nvars = vars_.size();
  BERTH_ASSIGN(std::unique_ptr<Pipe> pipe, pipeline(keyword.val, Tok::RightDelim));
  Node n = make_node(kind, pipe->pos);
  n.pipe = std::move(pipe);
  if (kind == NodeKind::Range) ++range_depth_;
  BERTH_ASSIGN(Node next, item_list(n.list));
  if (kind == NodeKind::Range) --range_depth_;
  if (next.kind == NodeKind::Else) {
    Tok chained = kind == NodeKind::If ? Tok::If : kind == NodeKind::With ? Tok::With : Tok::Eof;
    if (chained != Tok::Eof && peek().type == chained) {
      // {{else if p}} is {{else}}{{if p}}...{{end}}{{end}} with the inner {{end}} implied.
      const Token& inner_keyword = this->next();
      BERTH_ASSIGN(Node inner, control(inner_keyword));
      n.else_list.push_back(std::move(inner));
    } else {
      BERTH_ASSIGN(Node end, item_list(n.else_list));
      if (end.kind != NodeKind::End) return error_at(end.pos, "expected end; found {{else}}");
    }
  }
  vars_.resize(nvars);
  --nesting_;
  return n;
}

Result<Node> Parser::loop_control(const Token& keyword) {
  const Token& t = next_non_space();
  if (t.type != Tok::RightDelim) return unexpected(t, "{{" + keyword.val + "}}");
  if (range_depth_ == 0) return error_at(keyword.pos, "{{" + keyword.val + "}} outside {{range}}");
  return make_node(keyword.type == Tok::Break ? NodeKind::Break : NodeKind::Continue, keyword.pos);
}

Result<Node> Parser::else_control() {
  // "else if" and "else with" leave the keyword for the enclosing control to chain.
  const Token& p = peek_non_space();
  if (p.type == Tok::If || p.type == Tok::With) return make_node(NodeKind::Else, p.pos);
  const Token& t = next_non_space();
  if (t.type != Tok::RightDelim) return unexpected(t, "else");
  return make_node(NodeKind::Else, t.pos);
}

Result<std::unique_ptr<Pipe>> Parser::pipeline(std::string_view context, Tok end) {
  auto pipe = std::make_unique<Pipe>();
  pipe->pos = peek_non_space().pos;
  // Declarations: "$x :=", "$x =", and for range "$i, $v :=".
  for (;;) {
    const Token& v = peek_non_space();
    if (v.type != Tok::Variable) break;
    size_t save = i_;
    next();
    const Token& n = peek_non_space();
    if (n.type == Tok::Assign || n.type == Tok::Declare) {
      pipe->is_assign = n.type == Tok::Assign;
      next_non_space();
      pipe->decl.push_back(v.val);
      vars_.push_back(v.val);
      break;
    }
    if (n.type == Tok::Char && n.val == ",") {
      next_non_space();
      pipe->decl.push_back(v.val);
      vars_.push_back(v.val);
      if (context == "range" && pipe->decl.size() < 2) {
        Tok after = peek_non_space().type;
        if (after == Tok::Variable || after == Tok::RightDelim || after == Tok::RightParen)
          continue;
        return error_at(n.pos, "range can only initialize variables");
      }
      return error_at(n.pos, fmt::format("too many declarations in {}", context));
    }
    i_ = save;  // a variable used as an operand
    break;
  }
  for (;;) {
    const Token& t = next_non_space();
    if (t.type == end) {
      BERTH_TRY(check_pipeline(*pipe, context, t.pos));
      return pipe;
    }
    if (!starts_operand(t.type)) return unexpected(t, context);
    backup();
    BERTH_ASSIGN(Command c, command());
    pipe->cmds.push_back(std::move(c));
  }
}

Status Parser::check_pipeline(const Pipe& pipe, std::string_view context, size_t pos) const {
  if (pipe.cmds.empty()) return error_at(pos, fmt::format("missing value for {}", context));
  // Only the first command may be a plain value: "A | B" passes A to B as an argument.
  for (size_t k = 1; k < pipe.cmds.size(); ++k) {
    ArgKind a = pipe.cmds[k].args[0].kind;
    if (a == ArgKind::Literal || a == ArgKind::Dot || a == ArgKind::Nil) {
      return error_at(pipe.cmds[k].pos,
                      fmt::format("non executable command in pipeline stage {}", k + 1));
    }
  }
  return ok();
}

Result<Command> Parser::command() {
  Command cmd;
  cmd.pos = peek_non_space().pos;
  for (;;) {
    peek_non_space();
    BERTH_ASSIGN(std::optional<Arg> op, operand());
    if (op) cmd.args.push_back(std::move(*op));
    const Token& t = next();
    if (t.type == Tok::Space) continue;
    if (t.type == Tok::RightDelim || t.type == Tok::RightParen) {
      backup();
      break;
    }
    if (t.type == Tok::Pipe) break;
    return unexpected(t, "operand");
  }
  if (cmd.args.empty()) return error_at(cmd.pos, "empty command");
  return cmd;
}

Result<std::optional<Arg>> Parser::operand() {
  BERTH_ASSIGN(std::optional<Arg> term, this->term());
  if (!term || peek().type != Tok::Field) return term;
  // Fields right after a term, without a space: .A.B, $x.A, (pipeline).A
  size_t pos = peek().pos;
  std::vector<std::string> fields;
  while (peek().type == Tok::Field) fields.push_back(next().val.substr(1));
  switch (term->kind) {
    case ArgKind::Field:
    case ArgKind::Variable:
      term->fields.insert(term->fields.end(), fields.begin(), fields.end());
      term->pos = pos;
      return term;
    case ArgKind::Literal:
    case ArgKind::Nil:
    case ArgKind::Dot:
      return error_at(pos, "unexpected . after term " + go_quote(arg_string(*term)));
    default: {
      Arg chain;
      chain.kind = ArgKind::Chain;
      chain.pos = pos;
      chain.fields = std::move(fields);
      chain.base = std::make_unique<Arg>(std::move(*term));
      return std::optional<Arg>(std::move(chain));
    }
  }
}

Result<std::optional<Arg>> Parser::term() {
  const Token& t = next_non_space();
  Arg a;
  a.pos = t.pos;
  switch (t.type) {
    case Tok::Error:
      return unexpected(t, "operand");
    case Tok::Identifier:
      if (!find_builtin(t.val)) {
        return error_at(t.pos, fmt::format("function {} not defined", go_quote(t.val)));
      }
      a.kind = ArgKind::Func;
      a.name = t.val;
      break;
    case Tok::Dot:
      a.kind = ArgKind::Dot;
      break;
    case Tok::Nil:
      a.kind = ArgKind::Nil;
      break;
    case Tok::Variable:
      if (std::find(vars_.begin(), vars_.end(), t.val) == vars_.end()) {
        return error_at(t.pos, fmt::format("undefined variable {}", go_quote(t.val)));
      }
      a.kind = ArgKind::Variable;
      a.name = t.val;
      break;
    case Tok::Field:
      a.kind = ArgKind::Field;
      a.fields.push_back(t.val.substr(1));
      break;
    case Tok::Bool:
      a.kind = ArgKind::Literal;
      a.text = t.val;
      a.lit = t.val == "true";
      break;
    case Tok::CharConst:
    case Tok::Number: {
      a.kind = ArgKind::Literal;
      a.text = t.val;
      BERTH_ASSIGN(a.lit, number(t));
      break;
    }
    case Tok::String:
    case Tok::RawString: {
      std::optional<std::string> s = unquote(t);
      if (!s) return error_at(t.pos, "invalid syntax");
      a.kind = ArgKind::Literal;
      a.text = t.val;
      a.lit = std::move(*s);
      break;
    }
    case Tok::LeftParen: {
      if (++nesting_ > kMaxNesting) return error_at(t.pos, "template nests too deeply");
      a.kind = ArgKind::Pipe;
      BERTH_ASSIGN(a.pipe, pipeline("parenthesized pipeline", Tok::RightParen));
      --nesting_;
      break;
    }
    default:
      backup();
      return std::optional<Arg>();
  }
  return std::optional<Arg>(std::move(a));
}

// Go's number syntax; like Go, a number with '.' or an exponent is a float, else an int.
Result<json> Parser::number(const Token& t) const {
  auto illegal = [&] { return error_at(t.pos, "illegal number syntax: " + go_quote(t.val)); };
  if (t.type == Tok::CharConst) {
    std::string_view body = std::string_view(t.val).substr(1, t.val.size() - 2);
    size_t i = 0;
    std::optional<QuotedChar> c = unquote_char(body, i, '\'');
    if (!c || i != body.size()) return error_at(t.pos, "malformed character constant: " + t.val);
    return json(static_cast<int64_t>(c->value));
  }
  std::string s;
  for (char c : t.val) {
    if (c != '_') s += c;
  }
  bool neg = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.erase(0, 1);
  if (s.empty() || s.back() == 'i') return illegal();  // complex numbers: not supported
  const char* end = s.data() + s.size();
  int base = 10;
  size_t skip = 0;
  if (s.size() > 1 && s[0] == '0') {
    char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x') base = 16;
    if (p == 'o') base = 8;
    if (p == 'b') base = 2;
    if (base != 10) skip = 2;
  }
  if (base == 16 && s.find_first_of(".pP") != std::string::npos) return illegal();  // hex float
  if (base == 10 && s.find_first_of(".eE") != std::string::npos) {
    double d;
    auto [p, ec] = std::from_chars(s.data(), end, d);
    if (ec != std::errc() || p != end) return illegal();
    return json(neg ? -d : d);
  }
  uint64_t u = 0;
  auto parse = [&](size_t from, int b) {
    auto [p, ec] = std::from_chars(s.data() + from, end, u, b);
    if (ec == std::errc::result_out_of_range) return std::errc::result_out_of_range;
    return from < s.size() && p == end && ec == std::errc() ? std::errc()
                                                            : std::errc::invalid_argument;
  };
  std::errc ec = std::errc::invalid_argument;
  if (base == 10 && s.size() > 1 && s[0] == '0') ec = parse(1, 8);  // 017 is octal, as in Go
  if (ec == std::errc::invalid_argument) ec = parse(skip, base);
  if (ec == std::errc::result_out_of_range) return error_at(t.pos, t.val + " overflows int");
  if (ec != std::errc()) return illegal();
  constexpr uint64_t kMaxInt = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (u > kMaxInt + (neg ? 1 : 0)) return error_at(t.pos, t.val + " overflows int");
  if (neg)
    return json(u == kMaxInt + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(u));
  return json(static_cast<int64_t>(u));
}

}  // namespace

Result<std::vector<Node>> parse_template(std::string_view text) {
  Parser parser(text, Lexer(text).run());
  return parser.parse();
}

}  // namespace berth::client::gotmpl

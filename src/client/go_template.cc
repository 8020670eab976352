// Go text/template over JSON: parses with go_template_parse.cc, then executes the tree,
// treating the data as Go's encoding/json would decode it (objects are maps, arrays are
// []interface{}), which is what docker's CLI templates see.
#include "client/go_template.h"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "client/go_fmt.h"
#include "client/go_template_funcs.h"
#include "client/go_template_tree.h"
#include "client/go_text.h"

namespace berth::client {

namespace gotmpl {

using nlohmann::json;

namespace {

// ---------------------------------------------------------------------- executor

enum class Flow { Normal, Break, Continue };

class Exec {
 public:
  Exec(std::string_view text, const json& data) : text_(text), data_(data) {}

  Result<std::string> run(const std::vector<Node>& root) {
    Value dot{&data_, nullptr};
    vars_.emplace_back("$", dot);
    BERTH_TRY(walk_list(root, dot));
    return std::move(out_);
  }

 private:
  std::unexpected<Error> fail_at(size_t pos, std::string_view context, std::string_view msg) const;

  Result<Flow> walk_list(const std::vector<Node>& list, const Value& dot);
  Result<Flow> walk(const Node& n, const Value& dot);
  Result<Flow> walk_range(const Node& n, const Value& dot);
  Result<Value> eval_pipeline(const Pipe& p, const Value& dot);
  Result<Value> eval_command(const Command& c, const Value& dot, const std::optional<Value>& final);
  Result<Value> eval_arg(const Arg& a, const Value& dot);
  Result<Value> eval_fields(const Arg& node, Value receiver, bool has_args);
  Result<Value> call(const Arg& fn, const Command* cmd, const Value& dot,
                     const std::optional<Value>& final);
  Status not_a_function(const Command& c, const std::optional<Value>& final) const;
  Result<Value> var_value(const Arg& a) const;
  Status set_var(const std::string& name, const Value& v, size_t pos);

  std::string_view text_;
  const json& data_;
  std::string out_;
  std::vector<std::pair<std::string, Value>> vars_;  // a stack, innermost last
  int depth_ = 0;
};

// Go's ExecError text: template: NAME:LINE:COL: executing "NAME" at <NODE>: message.
std::unexpected<Error> Exec::fail_at(size_t pos, std::string_view context,
                                     std::string_view msg) const {
  std::string ctx(context);
  if (rune_count(ctx) > 20) ctx = std::string(first_runes(ctx, 20)) + "...";
  std::string_view before = text_.substr(0, std::min(pos, text_.size()));
  size_t nl = before.rfind('\n');
  size_t col = nl == std::string_view::npos ? before.size() : before.size() - nl - 1;
  return fail(ErrorKind::InvalidArgument, "template: :{}:{}: executing \"\" at <{}>: {}",
              line_of(text_, pos), col, ctx, msg);
}

Result<Flow> Exec::walk_list(const std::vector<Node>& list, const Value& dot) {
  for (const Node& n : list) {
    BERTH_ASSIGN(Flow f, walk(n, dot));
    if (f != Flow::Normal) return f;
  }
  return Flow::Normal;
}

Result<Flow> Exec::walk(const Node& n, const Value& dot) {
  switch (n.kind) {
    case NodeKind::Text:
      out_ += n.text;
      return Flow::Normal;
    case NodeKind::Action: {
      // Variables an action declares live until the enclosing block's end.
      BERTH_ASSIGN(Value v, eval_pipeline(*n.pipe, dot));
      if (!n.pipe->decl.empty()) return Flow::Normal;
      if (v.missing()) {
        out_ += "<no value>";
      } else {
        append_v(out_, v.j);
      }
      return Flow::Normal;
    }
    case NodeKind::If:
    case NodeKind::With: {
      if (++depth_ > kMaxNesting) return fail_at(n.pos, "", "template nests too deeply");
      size_t mark = vars_.size();
      BERTH_ASSIGN(Value v, eval_pipeline(*n.pipe, dot));
      Flow f = Flow::Normal;
      if (truth(v)) {
        BERTH_ASSIGN(f, walk_list(n.list, n.kind == NodeKind::With ? v : dot));
      } else {
        BERTH_ASSIGN(f, walk_list(n.else_list, dot));
      }
      vars_.resize(mark);
      --depth_;
      return f;
    }
    case NodeKind::Range: {
      if (++depth_ > kMaxNesting) return fail_at(n.pos, "", "template nests too deeply");
      BERTH_ASSIGN(Flow f, walk_range(n, dot));
      --depth_;
      return f;
    }
    case NodeKind::Break:
      return Flow::Break;
    case NodeKind::Continue:
      return Flow::Continue;
    default:
      return Flow::Normal;
  }
}

Result<Flow> Exec::walk_range(const Node& n, const Value& dot) {
  const Pipe& p = *n.pipe;
  size_t outer = vars_.size();
  BERTH_ASSIGN(Value val, eval_pipeline(p, dot));
  size_t mark = vars_.size();  // the pipeline pushed its declared variables
  bool ran = false;
  auto iteration = [&](const Value& index, const Value& elem) -> Result<Flow> {
    ran = true;
    // One variable gets the element; two get the index (or key) and the element.
    if (p.is_assign) {
      BERTH_TRY(set_var(p.decl[0], p.decl.size() > 1 ? index : elem, p.pos));
      if (p.decl.size() > 1) BERTH_TRY(set_var(p.decl[1], elem, p.pos));
    } else if (!p.decl.empty()) {
      vars_[mark - 1].second = elem;
      if (p.decl.size() > 1) vars_[mark - 2].second = index;
    }
    Result<Flow> f = walk_list(n.list, elem);
    vars_.resize(mark);
    return f;
  };
  // Go reports these at the node it evaluated last: the pipeline's final operand.
  const Command& last = p.cmds.back();
  const Arg& at = last.args.size() > 1 ? last.args.back() : last.args[0];
  const json* j = val.get();
  if (j && j->is_array()) {
    for (size_t k = 0; k < j->size(); ++k) {
      BERTH_ASSIGN(Flow f, iteration(int_value(static_cast<int64_t>(k)), child(val, (*j)[k])));
      if (f == Flow::Break) break;
    }
  } else if (j && j->is_object()) {
    // Sorted by key, as Go ranges over maps.
    for (auto it = j->begin(); it != j->end(); ++it) {
      BERTH_ASSIGN(Flow f, iteration(string_value(it.key()), child(val, it.value())));
      if (f == Flow::Break) break;
    }
  } else if (j && j->is_number_integer()) {
    if (p.decl.size() > 1) {
      return fail_at(
          at.pos, arg_string(at),
          fmt::format("can't use {} to iterate over more than one variable", sprint_v(j)));
    }
    int64_t count = as_int(*j).value_or(std::numeric_limits<int64_t>::max());
    for (int64_t k = 0; k < count; ++k) {
      Value v = int_value(k);
      BERTH_ASSIGN(Flow f, iteration(v, v));
      if (f == Flow::Break) break;
    }
  } else if (j) {
    return fail_at(at.pos, arg_string(at), fmt::format("range can't iterate over {}", sprint_v(j)));
  }
  // {{break}} and {{continue}} in the else branch belong to an enclosing range.
  Flow f = Flow::Normal;
  if (!ran) {
    BERTH_ASSIGN(f, walk_list(n.else_list, dot));
  }
  vars_.resize(outer);
  return f;
}

Result<Value> Exec::eval_pipeline(const Pipe& p, const Value& dot) {
  std::optional<Value> value;
  for (const Command& c : p.cmds) {
    BERTH_ASSIGN(Value v, eval_command(c, dot, value));
    // Go unwraps each interface{} result; a nil one becomes "no value".
    if (v.j && v.j->is_null()) v = Value{};
    value = std::move(v);
  }
  Value result = value ? std::move(*value) : Value{};
  for (const std::string& name : p.decl) {
    if (p.is_assign) {
      BERTH_TRY(set_var(name, result, p.pos));
    } else {
      vars_.emplace_back(name, result);
    }
  }
  return result;
}

// `final` is the previous command's value in a pipeline, which becomes the last argument.
Result<Value> Exec::eval_command(const Command& c, const Value& dot,
                                 const std::optional<Value>& final) {
  const Arg& first = c.args[0];
  bool has_args = c.args.size() > 1 || final.has_value();
  switch (first.kind) {
    case ArgKind::Field:
      return eval_fields(first, dot, has_args);
    case ArgKind::Chain: {
      BERTH_ASSIGN(Value base, eval_arg(*first.base, dot));
      return eval_fields(first, std::move(base), has_args);
    }
    case ArgKind::Func:
      return call(first, &c, dot, final);
    case ArgKind::Variable: {
      BERTH_ASSIGN(Value v, var_value(first));
      if (!first.fields.empty()) return eval_fields(first, std::move(v), has_args);
      BERTH_TRY(not_a_function(c, final));
      return v;
    }
    case ArgKind::Pipe:
      BERTH_TRY(not_a_function(c, final));
      return eval_pipeline(*first.pipe, dot);
    case ArgKind::Dot:
      BERTH_TRY(not_a_function(c, final));
      return dot;
    case ArgKind::Nil:
      return fail_at(first.pos, "nil", "nil is not a command");
    case ArgKind::Literal:
      BERTH_TRY(not_a_function(c, final));
      return Value{&first.lit, nullptr};
  }
  return Value{};
}

Status Exec::not_a_function(const Command& c, const std::optional<Value>& final) const {
  if (c.args.size() > 1 || final) {
    const Arg& a = c.args[0];
    return fail_at(a.pos, arg_string(a),
                   fmt::format("can't give argument to non-function {}", arg_string(a)));
  }
  return ok();
}

Result<Value> Exec::eval_arg(const Arg& a, const Value& dot) {
  switch (a.kind) {
    case ArgKind::Dot:
      return dot;
    case ArgKind::Nil:
      return Value{&null_json(), nullptr};
    case ArgKind::Literal:
      return Value{&a.lit, nullptr};
    case ArgKind::Field:
      return eval_fields(a, dot, false);
    case ArgKind::Variable: {
      BERTH_ASSIGN(Value v, var_value(a));
      if (a.fields.empty()) return v;
      return eval_fields(a, std::move(v), false);
    }
    case ArgKind::Pipe: {
      if (++depth_ > kMaxNesting) return fail_at(a.pos, "", "template nests too deeply");
      BERTH_ASSIGN(Value v, eval_pipeline(*a.pipe, dot));
      --depth_;
      return v;
    }
    case ArgKind::Func:
      return call(a, nullptr, dot, std::nullopt);
    case ArgKind::Chain: {
      BERTH_ASSIGN(Value base, eval_arg(*a.base, dot));
      return eval_fields(a, std::move(base), false);
    }
  }
  return Value{};
}

// Walks .A.B.C from receiver. A field of an object is its key; of a missing key or null,
// nothing (Go would fail on null, "nil pointer evaluating interface {}.B").
Result<Value> Exec::eval_fields(const Arg& node, Value receiver, bool has_args) {
  for (size_t i = 0; i < node.fields.size(); ++i) {
    const std::string& name = node.fields[i];
    const json* r = receiver.get();
    if (!r) {
      receiver = Value{};
      continue;
    }
    if (!r->is_object()) {
      return fail_at(node.pos, arg_string(node),
                     fmt::format("can't evaluate field {} in type {}", name, type_name(r)));
    }
    if (has_args && i + 1 == node.fields.size()) {
      return fail_at(node.pos, arg_string(node),
                     fmt::format("{} is not a method but has arguments", name));
    }
    auto it = r->find(name);
    if (it == r->end()) {
      // The docker CLI's templates walk Go structs whose fields carry JSON tags ("Path" of
      // `json:"path"`); the JSON we walk has the tag's spelling. Go's JSON decoding matches
      // keys without regard to case, so a key that differs only in case is the field.
      for (auto k = r->begin(); k != r->end(); ++k)
        if (strcasecmp(k.key().c_str(), name.c_str()) == 0) {
          it = k;
          break;
        }
    }
    receiver = it == r->end() ? Value{} : child(receiver, *it);
  }
  return receiver;
}

Result<Value> Exec::call(const Arg& fn, const Command* cmd, const Value& dot,
                         const std::optional<Value>& final) {
  const Builtin* b = find_builtin(fn.name);
  if (!b) return fail_at(fn.pos, fn.name, fmt::format("{} is not a defined function", fn.name));
  size_t nargs = cmd ? cmd->args.size() - 1 : 0;
  size_t num_in = nargs + (final ? 1 : 0);
  if (b->variadic && num_in < b->min_args) {
    return fail_at(fn.pos, fn.name,
                   fmt::format("wrong number of args for {}: want at least {} got {}", fn.name,
                               b->min_args, nargs));
  }
  if (!b->variadic && num_in != b->min_args) {
    return fail_at(
        fn.pos, fn.name,
        fmt::format("wrong number of args for {}: want {} got {}", fn.name, b->min_args, num_in));
  }
  if (!b->fn) {
    // and/or stop at the first argument that decides the answer and return it.
    bool is_or = fn.name == "or";
    Value v;
    for (size_t k = 1; k <= nargs; ++k) {
      BERTH_ASSIGN(v, eval_arg(cmd->args[k], dot));
      if (truth(v) == is_or) return v;
    }
    if (final) v = *final;
    return v;
  }
  Args args;
  for (size_t k = 1; k <= nargs; ++k) {
    BERTH_ASSIGN(Value v, eval_arg(cmd->args[k], dot));
    args.push_back(std::move(v));
  }
  if (final) args.push_back(*final);
  CallResult r = b->fn(args);
  if (r) return std::move(*r);
  const CallError& e = r.error();
  if (!e.wrap && e.arg >= 0 && static_cast<size_t>(e.arg) < nargs) {
    const Arg& at = cmd->args[static_cast<size_t>(e.arg) + 1];
    return fail_at(at.pos, arg_string(at), e.msg);
  }
  size_t pos = cmd ? cmd->pos : fn.pos;
  std::string context = cmd ? command_string(*cmd) : fn.name;
  if (!e.wrap) return fail_at(pos, context, e.msg);
  return fail_at(pos, context, fmt::format("error calling {}: {}", fn.name, e.msg));
}

Result<Value> Exec::var_value(const Arg& a) const {
  for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
    if (it->first == a.name) return it->second;
  }
  return fail_at(a.pos, a.name, "undefined variable: " + a.name);
}

Status Exec::set_var(const std::string& name, const Value& v, size_t pos) {
  for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
    if (it->first == name) {
      it->second = v;
      return ok();
    }
  }
  return fail_at(pos, name, "undefined variable: " + name);
}

}  // namespace
}  // namespace gotmpl

struct GoTemplate::Tree {
  std::string text;
  std::vector<gotmpl::Node> root;
};

Result<GoTemplate> GoTemplate::parse(std::string_view text) {
  try {
    auto tree = std::make_shared<Tree>();
    tree->text = std::string(text);
    BERTH_ASSIGN(tree->root, gotmpl::parse_template(tree->text));
    return GoTemplate(std::move(tree));
  } catch (const std::exception& e) {
    return fail(ErrorKind::Internal, "template: {}", e.what());
  }
}

Result<std::string> GoTemplate::render(const nlohmann::json& data) const {
  if (!tree_) return fail(ErrorKind::InvalidArgument, "template: not parsed");
  try {
    return gotmpl::Exec(tree_->text, data).run(tree_->root);
  } catch (const std::exception& e) {
    return fail(ErrorKind::Internal, "template: {}", e.what());
  }
}

}  // namespace berth::client

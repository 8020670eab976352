// GoTemplate against the outputs and errors Go's text/template (with docker's CLI
// functions) gives for the same templates over the same JSON.
#include <gtest/gtest.h>

#include "client/go_template.h"

namespace berth::client {
namespace {

using nlohmann::json;

const json& container() {
  static const json c = json::parse(R"({
    "Id": "4f3c2b1a",
    "Name": "/web",
    "RestartCount": 0,
    "State": {"Status": "running", "Running": true, "ExitCode": 137, "Pid": 4242,
              "Health": null},
    "Config": {
      "Image": "nginx:latest",
      "Labels": {"b": "2", "a": "1", "com.example.role": "front"},
      "Cmd": ["nginx", "-g", "daemon off;"],
      "Env": []
    },
    "HostConfig": {"Links": null, "Binds": ["/srv:/data", "/log:/logs"],
                   "NanoCpus": 0.5, "Memory": 1000000.0, "Ratio": 2.0},
    "Mounts": [{"Destination": "/data", "Source": "/srv"},
               {"Destination": "/logs", "Source": "/log"}],
    "NetworkSettings": {"Networks": {"kn": {"IPAddress": "10.88.0.2", "IPv6Address": ""}}},
    "Note": "<b>&</b>"
  })");
  return c;
}

const json& network() {
  static const json n = json::parse(R"({
    "Name": "kn",
    "Containers": {
      "bbb": {"Name": "db", "IPv4Address": "10.88.0.3/16", "IPv6Address": "fd00::3/64"},
      "aaa": {"Name": "web", "IPv4Address": "10.88.0.2/16", "IPv6Address": "fd00::2/64"}
    }
  })");
  return n;
}

std::string render(std::string_view text, const json& data = container()) {
  Result<GoTemplate> t = GoTemplate::parse(text);
  if (!t) return "parse error: " + t.error().message();
  Result<std::string> out = t->render(data);
  if (!out) return "render error: " + out.error().message();
  return *out;
}

std::string parse_error(std::string_view text) {
  Result<GoTemplate> t = GoTemplate::parse(text);
  if (t) return "parsed";
  EXPECT_EQ(t.error().kind(), ErrorKind::InvalidArgument);
  return t.error().message();
}

std::string render_error(std::string_view text, const json& data = container()) {
  Result<GoTemplate> t = GoTemplate::parse(text);
  if (!t) return "parse error: " + t.error().message();
  Result<std::string> out = t->render(data);
  if (out) return "rendered: " + *out;
  EXPECT_EQ(out.error().kind(), ErrorKind::InvalidArgument);
  return out.error().message();
}

TEST(GoTemplate, Fields) {
  EXPECT_EQ(render("{{.State.Status}}"), "running");
  EXPECT_EQ(render("{{.NetworkSettings.Networks.kn.IPAddress}}"), "10.88.0.2");
  EXPECT_EQ(render("id={{.Id}} name={{.Name}}"), "id=4f3c2b1a name=/web");
  EXPECT_EQ(render("{{$.Config.Image}}"), "nginx:latest");
  EXPECT_EQ(render("{{.}}", json("plain")), "plain");
  EXPECT_EQ(render("no actions at all"), "no actions at all");
  EXPECT_EQ(render(""), "");
  // a struct field of the docker CLI ("Path") over its JSON tag's spelling ("path")
  json info = json::parse(R"({"Runtimes": {"runc": {"path": "runc", "Path2": 1}}})");
  EXPECT_EQ(render("{{(index .Runtimes \"runc\").Path}}", info), "runc");
  EXPECT_EQ(render("{{.Runtimes.runc.path}}", info), "runc");
}

TEST(GoTemplate, MissingAndNull) {
  EXPECT_EQ(render("{{.Nope}}"), "<no value>");
  EXPECT_EQ(render("{{.Nope.Deeper}}"), "<no value>");
  EXPECT_EQ(render("{{.State.Health}}"), "<no value>");  // Go unwraps a nil interface{}
  EXPECT_EQ(render("{{.State.Health.Status}}"), "<no value>");
  EXPECT_EQ(render("{{print .State.Health}}"), "<nil>");
  EXPECT_EQ(render("{{.}}", json::parse("[1, null]")), "[1 <nil>]");
  EXPECT_EQ(render("{{if .Nope}}yes{{else}}no{{end}}"), "no");
}

TEST(GoTemplate, PrintsValuesLikeGo) {
  EXPECT_EQ(render("{{.State.ExitCode}}"), "137");
  EXPECT_EQ(render("{{.HostConfig.NanoCpus}}"), "0.5");
  EXPECT_EQ(render("{{.HostConfig.Memory}}"), "1e+06");
  EXPECT_EQ(render("{{.HostConfig.Ratio}}"), "2");
  EXPECT_EQ(render("{{.State.Running}}"), "true");
  EXPECT_EQ(render("{{.Config.Cmd}}"), "[nginx -g daemon off;]");
  EXPECT_EQ(render("{{.Config.Labels}}"), "map[a:1 b:2 com.example.role:front]");
  EXPECT_EQ(render("{{.Mounts}}"),
            "[map[Destination:/data Source:/srv] "
            "map[Destination:/logs Source:/log]]");
  EXPECT_EQ(render("{{1234567.0}} {{0.0001}} {{0.00001}} {{-3}} {{1e3}}"),
            "1.234567e+06 0.0001 1e-05 -3 1000");
  EXPECT_EQ(render("{{0x1F}} {{017}} {{1_000}} {{'a'}}"), "31 15 1000 97");
}

TEST(GoTemplate, Json) {
  EXPECT_EQ(render("{{json .HostConfig.Links}}"), "null");
  EXPECT_EQ(render("{{json .HostConfig.Binds}}"), R"(["/srv:/data","/log:/logs"])");
  EXPECT_EQ(render("{{json .Nope}}"), "null");
  EXPECT_EQ(render("{{json .Config.Labels}}"), R"({"a":"1","b":"2","com.example.role":"front"})");
  EXPECT_EQ(render("{{json .HostConfig.Memory}} {{json .HostConfig.NanoCpus}}"), "1000000 0.5");
  EXPECT_EQ(render("{{json .State}}"),
            R"({"ExitCode":137,"Health":null,"Pid":4242,"Running":true,"Status":"running"})");
  // docker/cli's json turns off json.Marshal's HTML-safe escaping (SetEscapeHTML(false)).
  EXPECT_EQ(render("{{json .Note}}"), R"("<b>&</b>")");
  EXPECT_EQ(render("{{json .}}", json("tab\there \"q\" \\ \x01")),
            R"("tab\there \"q\" \\ \u0001")");
  EXPECT_EQ(render("{{json .}}", json(1e21)), "1e+21");
  EXPECT_EQ(render("{{json .}}", json(0.0000001)), "1e-7");
}

TEST(GoTemplate, RangeOverArraysAndObjects) {
  EXPECT_EQ(render("{{range .Mounts}}{{.Destination}} {{end}}"), "/data /logs ");
  EXPECT_EQ(render("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}"),
            "a=1;b=2;com.example.role=front;");
  EXPECT_EQ(render("{{range .Containers}}{{.IPv6Address}} {{end}}", network()),
            "fd00::2/64 fd00::3/64 ");
  EXPECT_EQ(render("{{range $id, $c := .Containers}}{{$id}}:{{$c.Name}} {{end}}", network()),
            "aaa:web bbb:db ");
  EXPECT_EQ(render("{{range $i, $m := .Mounts}}{{$i}}={{$m.Source}} {{end}}"), "0=/srv 1=/log ");
  EXPECT_EQ(render("{{range $v := .Config.Cmd}}[{{$v}}]{{end}}"), "[nginx][-g][daemon off;]");
  EXPECT_EQ(render("{{range .Config.Env}}x{{else}}empty{{end}}"), "empty");
  EXPECT_EQ(render("{{range .HostConfig.Links}}x{{else}}none{{end}}"), "none");
  EXPECT_EQ(render("{{range .Nope}}x{{end}}"), "");
  EXPECT_EQ(render("{{range 3}}{{.}}{{end}}"), "012");
  EXPECT_EQ(render("{{range .Mounts}}{{$.Name}}{{end}}"), "/web/web");
  EXPECT_EQ(render_error("{{range .Name}}{{end}}"),
            "template: :1:8: executing \"\" at <.Name>: range can't iterate over /web");
}

TEST(GoTemplate, BreakAndContinue) {
  EXPECT_EQ(render("{{range .Config.Cmd}}{{if eq . \"-g\"}}{{continue}}{{end}}{{.}},{{end}}"),
            "nginx,daemon off;,");
  EXPECT_EQ(render("{{range .Config.Cmd}}{{if eq . \"-g\"}}{{break}}{{end}}{{.}},{{end}}"),
            "nginx,");
  EXPECT_EQ(parse_error("{{break}}"), "template: :1: {{break}} outside {{range}}");
}

TEST(GoTemplate, IfElseWith) {
  std::string_view t =
      "{{if eq .State.Status \"exited\"}}E{{else if .State.Running}}R{{else}}?{{end}}";
  EXPECT_EQ(render(t), "R");
  EXPECT_EQ(render("{{if .State.Pid}}pid{{end}}"), "pid");
  EXPECT_EQ(render("{{if .RestartCount}}restarted{{else}}never{{end}}"), "never");
  EXPECT_EQ(render("{{if .Config.Env}}env{{else}}no env{{end}}"), "no env");
  EXPECT_EQ(render("{{if \"\"}}a{{else if 0}}b{{else if .Config.Labels}}c{{end}}"), "c");
  EXPECT_EQ(render("{{with .State}}{{.Status}}/{{.Pid}}{{end}}"), "running/4242");
  EXPECT_EQ(render("{{with .State.Health}}{{.Status}}{{else}}no health{{end}}"), "no health");
  EXPECT_EQ(render("{{with $s := .State.Status}}{{$s}}{{end}}"), "running");
  EXPECT_EQ(render("{{with .Nope}}a{{else with .Name}}{{.}}{{end}}"), "/web");
}

TEST(GoTemplate, Variables) {
  EXPECT_EQ(render("{{$n := .Name}}{{$n}} {{$n = \"x\"}}{{$n}}"), "/web x");
  EXPECT_EQ(render("{{$x := 1}}{{range .Mounts}}{{$x = .Source}}{{end}}{{$x}}"), "/log");
  EXPECT_EQ(render("{{$m := index .Mounts 1}}{{$m.Destination}}"), "/logs");
  EXPECT_EQ(parse_error("{{if true}}{{$x := 1}}{{end}}{{$x}}"),
            "template: :1: undefined variable \"$x\"");
  EXPECT_EQ(parse_error("{{range $i, $v := .Mounts}}{{end}}{{$v}}"),
            "template: :1: undefined variable \"$v\"");
}

TEST(GoTemplate, Comparisons) {
  EXPECT_EQ(render("{{eq .State.Status \"running\"}} {{ne .State.Status \"running\"}}"),
            "true false");
  EXPECT_EQ(render("{{eq .State.Status \"exited\" \"dead\" \"running\"}}"), "true");
  EXPECT_EQ(render("{{eq .State.ExitCode 137}} {{eq .HostConfig.Ratio 2}}"), "true true");
  EXPECT_EQ(render("{{eq .Nope \"x\"}} {{eq .Nope nil}}"), "false true");
  EXPECT_EQ(render("{{lt 1 2}} {{le 2 2}} {{gt 3 2.5}} {{ge \"a\" \"b\"}}"),
            "true true true false");
  EXPECT_EQ(render("{{and 1 0 2}} {{and 1 2}} {{or 0 \"\" \"x\"}} {{or 0 \"\"}}"), "0 2 x ");
  EXPECT_EQ(render("{{not .State.Running}} {{not .Config.Env}}"), "false true");
  EXPECT_EQ(render("{{if and .State.Running (eq .State.ExitCode 137)}}both{{end}}"), "both");
  // and/or stop evaluating once the answer is known, so this never fails.
  EXPECT_EQ(render("{{or .Name (index .Mounts 99)}}"), "/web");
  EXPECT_EQ(render_error("{{eq .Name 1}}"),
            "template: :1:2: executing \"\" at <eq .Name 1>: "
            "error calling eq: incompatible types for comparison");
  EXPECT_EQ(render_error("{{lt .Config.Cmd 1}}"),
            "template: :1:2: executing \"\" at <lt .Config.Cmd 1>: "
            "error calling lt: invalid type for comparison");
}

TEST(GoTemplate, IndexLenSlice) {
  EXPECT_EQ(render("{{index .Config.Labels \"com.example.role\"}}"), "front");
  EXPECT_EQ(render("{{index .Config.Cmd 0}} {{index .Mounts 1 \"Source\"}}"), "nginx /log");
  EXPECT_EQ(render("{{index .Config.Labels \"nope\"}}"), "<no value>");
  EXPECT_EQ(render("{{len .Config.Cmd}} {{len .Config.Labels}} {{len .Name}} {{len .Config.Env}}"),
            "3 3 4 0");
  EXPECT_EQ(render("{{len .HostConfig.Links}}"), "0");
  EXPECT_EQ(render("{{slice .Config.Cmd 1}} {{slice .Name 1 3}}"), "[-g daemon off;] we");
  EXPECT_EQ(render_error("{{index .Config.Cmd 5}}"),
            "template: :1:2: executing \"\" at <index .Config.Cmd 5>: "
            "error calling index: index out of range: 5");
  EXPECT_EQ(
      render_error("{{len .State.Pid}}"),
      "template: :1:2: executing \"\" at <len .State.Pid>: error calling len: len of type int");
}

TEST(GoTemplate, Printf) {
  EXPECT_EQ(render("{{printf \"%-10s|%5d|%05d\" .State.Status .State.ExitCode 42}}"),
            "running   |  137|00042");
  EXPECT_EQ(render("{{printf \"%s %v %q %t %%\" .Name .Config.Cmd .Name .State.Running}}"),
            "/web [nginx -g daemon off;] \"/web\" true %");
  EXPECT_EQ(render("{{printf \"%.2f %f %6.1f\" .HostConfig.NanoCpus 1.5 3.14159}}"),
            "0.50 1.500000    3.1");
  EXPECT_EQ(render("{{printf \"%x %X %o %b %c %T\" 255 255 8 5 65 .Mounts}}"),
            "ff FF 10 101 A []interface {}");
  EXPECT_EQ(render("{{printf \"%d %s\" \"x\"}}"), "%!d(string=x) %!s(MISSING)");
  EXPECT_EQ(render("{{printf \"%d\" 1 2}}"), "1%!(EXTRA int=2)");
  EXPECT_EQ(render("{{printf \"%*d|%-*d|\" 4 7 3 8}}"), "   7|8  |");
  EXPECT_EQ(render("{{.Name | printf \"name=%s\"}}"), "name=/web");
  EXPECT_EQ(render("{{print .Name 1 2 \"a\" \"b\"}}|{{println 1 \"x\"}}"), "/web1 2ab|1 x\n");
}

TEST(GoTemplate, DockerFunctions) {
  EXPECT_EQ(render("{{join .Config.Cmd \",\"}}"), "nginx,-g,daemon off;");
  EXPECT_EQ(render("{{json (split \"a:b:c\" \":\")}}"), R"(["a","b","c"])");
  EXPECT_EQ(render("{{index (split .Config.Image \":\") 1}}"), "latest");
  EXPECT_EQ(render("{{lower \"MiXeD\"}} {{upper .State.Status}}"), "mixed RUNNING");
  EXPECT_EQ(render("{{title \"hello wide-world foo_bar\"}}"), "Hello Wide-World Foo_bar");
  EXPECT_EQ(render("{{title \"élan\"}} {{upper \"straße\"}} {{lower \"ÀÉ\"}}"), "Élan STRAßE àé");
  EXPECT_EQ(render("[{{pad .State.Status 2 3}}][{{pad \"\" 2 3}}]"), "[  running   ][]");
  EXPECT_EQ(render("{{truncate .Id 4}} {{truncate .Id 40}}"), "4f3c 4f3c2b1a");
  EXPECT_EQ(render("{{.State.Status | upper | printf \"<%s>\"}}"), "<RUNNING>");
  EXPECT_EQ(render("{{html .Note}} {{urlquery \"a b&c\"}}"), "&lt;b&gt;&amp;&lt;/b&gt; a+b%26c");
  EXPECT_EQ(render_error("{{upper .State.Pid}}"),
            "template: :1:14: executing \"\" at <.State.Pid>: "
            "wrong type for value; expected string; got int");
}

TEST(GoTemplate, TrimMarkersAndComments) {
  EXPECT_EQ(render("a  {{- .State.Status -}}  \n b"), "arunningb");
  EXPECT_EQ(render("{{range .Mounts -}}\n  {{.Destination}}\n{{- end}}"), "/data/logs");
  EXPECT_EQ(render("x {{/* a comment */}} y"), "x  y");
  EXPECT_EQ(render("x {{- /* trimmed */ -}} y"), "xy");
  EXPECT_EQ(render("{{-3}}"), "-3");  // no space after '-': a number, not a trim marker
}

TEST(GoTemplate, LiteralsAndParens) {
  EXPECT_EQ(render(R"({{"a\tb\n\"q\"\\"}})"), "a\tb\n\"q\"\\");
  EXPECT_EQ(render("{{`raw \\n`}}"), "raw \\n");
  EXPECT_EQ(render(R"({{"\u00e9\x41"}})"),
            "\xc3\xa9"
            "A");
  EXPECT_EQ(render("{{true}} {{false}} {{1.5}}"), "true false 1.5");
  EXPECT_EQ(render("{{(index .Mounts 0).Destination}}"), "/data");
  EXPECT_EQ(render("{{(.State).Status}}"), "running");
  EXPECT_EQ(render("{{len (print .Name \"x\")}}"), "5");
}

TEST(GoTemplate, ParseErrors) {
  EXPECT_EQ(parse_error("{{.A"), "template: :1: unclosed action");
  EXPECT_EQ(parse_error("{{.A }"), "template: :1: unexpected \"}\" in operand");
  EXPECT_EQ(parse_error("{{.A}"), "template: :1: bad character U+007D '}'");
  EXPECT_EQ(parse_error("{{foo .A}}"), "template: :1: function \"foo\" not defined");
  EXPECT_EQ(parse_error("{{end}}"), "template: :1: unexpected {{end}}");
  EXPECT_EQ(parse_error("{{else}}"), "template: :1: unexpected {{else}}");
  EXPECT_EQ(parse_error("{{if .A}}x"), "template: :1: unexpected EOF");
  EXPECT_EQ(parse_error("{{\"abc}}"), "template: :1: unterminated quoted string");
  EXPECT_EQ(parse_error("{{`abc}}"), "template: :1: unterminated raw quoted string");
  EXPECT_EQ(parse_error("{{}}"), "template: :1: missing value for command");
  EXPECT_EQ(parse_error("{{if}}{{end}}"), "template: :1: missing value for if");
  EXPECT_EQ(parse_error("{{/* x */ }}"), "template: :1: comment ends before closing delimiter");
  EXPECT_EQ(parse_error("{{/* x"), "template: :1: unclosed comment");
  EXPECT_EQ(parse_error("{{(.A}}"), "template: :1: unclosed left paren");
  EXPECT_EQ(parse_error("{{.A)}}"), "template: :1: unexpected right paren");
  EXPECT_EQ(parse_error("{{.A | \"x\"}}"),
            "template: :1: non executable command in pipeline stage 2");
  EXPECT_EQ(parse_error("{{if 1}}{{else}}{{else}}{{end}}"),
            "template: :1: expected end; found {{else}}");
  EXPECT_EQ(parse_error("{{3x}}"), "template: :1: bad number syntax: \"3x\"");
  EXPECT_EQ(parse_error("{{\"\\q\"}}"), "template: :1: invalid syntax");
  EXPECT_EQ(parse_error("{{$x}}"), "template: :1: undefined variable \"$x\"");
  EXPECT_EQ(parse_error("{{template \"x\"}}"), "template: :1: {{template}} is not supported");
  EXPECT_EQ(parse_error("line1\n{{.A\n.B"), "template: :3: unclosed action started at :2");
  EXPECT_EQ(parse_error("a\nb {{end}}"), "template: :2: unexpected {{end}}");
}

TEST(GoTemplate, ExecutionErrors) {
  EXPECT_EQ(render_error("{{.Name.First}}"),
            "template: :1:7: executing \"\" at <.Name.First>: can't evaluate field First in type "
            "string");
  EXPECT_EQ(render_error("{{.A.B}}", json::parse(R"({"A": "s"})")),
            "template: :1:4: executing \"\" at <.A.B>: can't evaluate field B in type string");
  EXPECT_EQ(render_error("x\n  {{.Config.Cmd.X}}"),
            "template: :2:11: executing \"\" at <.Config.Cmd.X>: can't evaluate field X in type "
            "[]interface {}");
  EXPECT_EQ(render_error("{{len 1 2}}"),
            "template: :1:2: executing \"\" at <len>: wrong number of args for len: want 1 got 2");
  EXPECT_EQ(render_error("{{.Name | len 1}}"),
            "template: :1:10: executing \"\" at <len>: wrong number of args for len: want 1 got 2");
  EXPECT_EQ(render_error("{{.Name 1}}"),
            "template: :1:2: executing \"\" at <.Name>: Name is not a method but has arguments");
  EXPECT_EQ(render_error("{{nil}}"),
            "template: :1:2: executing \"\" at <nil>: nil is not a command");
  EXPECT_EQ(render_error("{{.Name | .Id}}"),
            "template: :1:10: executing \"\" at <.Id>: Id is not a method but has arguments");
  EXPECT_EQ(render_error("{{\"x\" 1}}"),
            "template: :1:2: executing \"\" at <\"x\">: can't give argument to non-function \"x\"");
}

TEST(GoTemplate, NeverThrows) {
  // Odd data and odd templates give errors or output, not exceptions.
  for (std::string_view t :
       {"{{.}}", "{{json .}}", "{{len .}}", "{{index . 0}}", "{{range .}}{{.}}{{end}}",
        "{{printf \"%d %s %v %q %x %e %g %c %U %5.2f\" . . . . . . . . . .}}", "{{slice . 1 2}}",
        "{{lt . .}}", "{{eq . .}}", "{{. | printf}}"}) {
    for (const json& data :
         {json(), json(1), json(-2.5), json("s\xff"), json::array({1, "a", nullptr}),
          json::object({{"k", nullptr}}), json(true)}) {
      Result<GoTemplate> tmpl = GoTemplate::parse(t);
      ASSERT_TRUE(tmpl.has_value()) << t;
      EXPECT_NO_THROW((void)tmpl->render(data)) << t;
    }
  }
  for (std::string_view t : {"{{", "}}", "{{{{", "{{-", "{{- -}}", "{{.A.}}", "{{$}}", "{{$ := 1}}",
                             "{{(((", "{{'", "{{'ab'}}", "{{0x}}", "{{99999999999999999999}}",
                             "{{\"\\400\"}}", "{{range $a, $b, $c := .}}{{end}}", "{{with}}",
                             "{{range .}}{{else if .}}{{end}}", "{{.A:=1}}", "{{\xff}}"}) {
    EXPECT_NO_THROW((void)GoTemplate::parse(t)) << t;
  }
}

TEST(GoTemplate, CopiesShareTheParsedTree) {
  Result<GoTemplate> t = GoTemplate::parse("{{.Name}}");
  ASSERT_TRUE(t.has_value());
  GoTemplate copy = *t;
  EXPECT_EQ(copy.render(container()).value(), "/web");
  EXPECT_EQ(t->render(network()).value(), "kn");
}

}  // namespace
}  // namespace berth::client

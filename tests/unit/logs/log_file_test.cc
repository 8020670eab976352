#include "logs/log_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "base/file.h"
#include "base/time.h"
#include "temp_dir.h"

namespace berth::logs {
namespace {

std::vector<Entry> read_all(const std::string& path, int max_file) {
  std::vector<Entry> out;
  for (auto& f : files_oldest_first(path, max_file)) {
    std::ifstream in(f);
    std::string line;
    while (std::getline(in, line)) {
      Entry e;
      EXPECT_TRUE(parse_line(line, e)) << line;
      out.push_back(e);
    }
  }
  return out;
}

using test_util::TempDir;

TEST(LogConfig, SizesAndOptions) {
  EXPECT_EQ(*parse_size("10m"), 10u << 20);
  EXPECT_EQ(*parse_size("1g"), 1ull << 30);
  EXPECT_EQ(*parse_size("512k"), 512u << 10);
  EXPECT_EQ(*parse_size("100"), 100u);
  EXPECT_FALSE(parse_size("ten"));
  auto c = parse_log_config("", {{"max-size", "1m"}, {"max-file", "3"}});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->driver, "json-file");
  EXPECT_EQ(c->max_size, 1u << 20);
  EXPECT_EQ(c->max_file, 3);
  EXPECT_FALSE(parse_log_config("syslogx", {}));
  EXPECT_FALSE(parse_log_config("json-file", {{"max-file", "0"}}));
  EXPECT_FALSE(parse_log_config("json-file", {{"bogus", "1"}}));
}

TEST(LogWriter, LinesStreamsAndPartialLines) {
  TempDir d;
  std::string path = d.path() + "/c-json.log";
  auto w = Writer::open(path, LogConfig{});
  ASSERT_TRUE(w);
  (*w)->write(1, "one\ntw");
  (*w)->write(2, "err\n");
  (*w)->write(1, "o\n");
  (*w)->write(1, "tail");
  (*w)->flush_partial();
  auto e = read_all(path, 5);
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[0].line, "one\n");
  EXPECT_EQ(e[1].stream, 2);
  EXPECT_EQ(e[2].line, "two\n");
  EXPECT_EQ(e[3].line, "tail");
  EXPECT_GT(e[0].time_ns, 0);
}

TEST(LogWriter, RotationKeepsMaxFilesInOrder) {
  TempDir d;
  std::string path = d.path() + "/c-json.log";
  LogConfig cfg;
  cfg.max_size = 300;
  cfg.max_file = 3;
  auto w = Writer::open(path, cfg);
  ASSERT_TRUE(w);
  for (int i = 0; i < 40; ++i) (*w)->write(1, "line " + std::to_string(i) + "\n");
  EXPECT_TRUE(path_exists(path + ".2"));
  EXPECT_FALSE(path_exists(path + ".3"));
  auto e = read_all(path, 3);
  ASSERT_FALSE(e.empty());
  EXPECT_EQ(e.back().line, "line 39\n");
  for (size_t i = 1; i < e.size(); ++i)  // consecutive: nothing lost inside what is kept
    EXPECT_EQ(std::stoi(e[i].line.substr(5)), std::stoi(e[i - 1].line.substr(5)) + 1);
}

TEST(LogWriter, NoneWritesNothing) {
  TempDir d;
  std::string path = d.path() + "/c-json.log";
  LogConfig cfg;
  cfg.driver = "none";
  auto w = Writer::open(path, cfg);
  ASSERT_TRUE(w);
  (*w)->write(1, "x\n");
  EXPECT_FALSE(path_exists(path));
}

TEST(Time, TimestampForms) {
  int64_t now = 1'700'000'000'000'000'000;
  EXPECT_EQ(*parse_timestamp_ns("1700000000", now), 1'700'000'000'000'000'000);
  EXPECT_EQ(*parse_timestamp_ns("1700000000.5", now), 1'700'000'000'500'000'000);
  EXPECT_EQ(*parse_timestamp_ns("10m", now), now - 600'000'000'000);
  EXPECT_EQ(*parse_timestamp_ns("1h30m", now), now - 5'400'000'000'000);
  EXPECT_EQ(*parse_rfc3339_ns("2023-11-14T22:13:20Z"), 1'700'000'000'000'000'000);
  EXPECT_EQ(*parse_rfc3339_ns("2023-11-14T23:13:20.25+01:00"), 1'700'000'000'250'000'000);
  EXPECT_EQ(rfc3339_from_ns(1'700'000'000'000'000'001), "2023-11-14T22:13:20.000000001Z");
  EXPECT_FALSE(parse_timestamp_ns("yesterday", now));
  EXPECT_FALSE(parse_duration_ns("5x"));
}

}  // namespace
}  // namespace berth::logs

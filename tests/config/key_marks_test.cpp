// key_marks: the YAML reader records where each key's value was, so checks
// that run after parsing name the line; an unwritten key points at its
// nearest written parent.
#include <gtest/gtest.h>

#include "config/deployment_loader.hpp"
#include "config/key_marks.hpp"

namespace binserve {
namespace {

TEST(KeyMarks, TheLoaderRecordsEveryKeyListItemAndSection) {
  const std::string yaml =
      "model:\n"
      "  dummy: x\n"
      "  stop_tokens: [1, 22]\n"
      "executors: 0\n"
      "workers:\n"
      "  - {host: a, port: 7171}\n"
      "server: {host: h}\n";
  auto d = parse_located_deployment(yaml, "d.yaml");
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  const key_marks& k = d->marks;
  EXPECT_EQ(k.where("model"), "d.yaml:2:3");  // a block map starts at its first key
  EXPECT_EQ(k.where("model.dummy"), "d.yaml:2:10");
  EXPECT_EQ(k.where("model.stop_tokens"), "d.yaml:3:16");
  EXPECT_EQ(k.where("model.stop_tokens[1]"), "d.yaml:3:20");
  EXPECT_EQ(k.where("executors"), "d.yaml:4:12");
  EXPECT_EQ(k.where("workers[0]"), "d.yaml:6:5");
  EXPECT_EQ(k.where("workers[0].port"), "d.yaml:6:21");
  EXPECT_EQ(k.where("server.host"), "d.yaml:7:16");
  EXPECT_TRUE(k.has("model.dummy"));
  EXPECT_FALSE(k.has("model.tokenizer"));
}

TEST(KeyMarks, AnUnwrittenKeyPointsAtItsNearestWrittenParent) {
  auto d = parse_located_deployment("logging: {level: warn}\nmodel: {dummy: x}\n", "d.yaml");
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  EXPECT_EQ(d->marks.where("model.tokenizer"), "d.yaml:2:8");
  EXPECT_EQ(d->marks.where("server.host"), "d.yaml:1:1");
  const status s = d->marks.error("model.tokenizer", "what is wrong");
  EXPECT_EQ(s.code(), error_code::config_invalid);
  EXPECT_EQ(s.message(), "d.yaml:2:8: model.tokenizer: what is wrong");
}

TEST(KeyMarks, TheFirstMarkOfAPathIsKept) {
  key_marks k("f.yaml");
  k.add("a.b", 3, 4);
  k.add("a.b", 9, 9);
  EXPECT_EQ(k.where("a.b"), "f.yaml:3:4");
  EXPECT_EQ(k.where("a.b[2].c"), "f.yaml:3:4");
}

}  // namespace
}  // namespace binserve

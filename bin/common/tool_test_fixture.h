// What the tools' tests share: running a built tool, and a fixture whose SetUp makes a data
// directory with keel-initdb. The generic helpers are in tests/support/. See bin/README.md
// ("Tests").
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/run_program.h"
#include "tests/support/temp_dir.h"

namespace keel::tools {

// Runs the built tool `name` (keel-initdb, keel-ctl, keel-controldata ...) with `args`:
// RunProgram() on KeelBinary(name), with its clean environment and time limit.
[[nodiscard]] keel::testing::ProgramResult RunTool(const std::string& name,
                                                   std::vector<std::string> args,
                                                   const keel::testing::EnvChanges& env = {},
                                                   int timeout_s = 60);

// A temporary directory `tmp_` with a cluster in `data_` (tmp_/data) made by
// `keel-initdb --no-sync`. A derived SetUp() calls DataDirTest::SetUp() first and returns when
// HasFatalFailure().
class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override;

  keel::testing::TempDir tmp_;
  std::string data_;
};

}  // namespace keel::tools

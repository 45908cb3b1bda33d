// Tests for LoadConfigFile / ReloadConfigFile: errors with file and line, all-or-nothing,
// last occurrence wins, command-line priority, restart-only settings, removed lines.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "backend/utils/config/config.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/log.h"

namespace keel::config {
namespace {

namespace s = keel::settings;

// A scratch data folder and a captured server log; settings reset around each test.
class ConfigLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ResetAllSettingsForTest();
    char name[] = "/tmp/keel_load_test_XXXXXX";
    dir_ = mkdtemp(name);
    log_path_ = dir_ + "/server.log";
    ASSERT_TRUE(SetLogFile(log_path_));
    conf_ = dir_ + "/keel.conf";
  }
  void TearDown() override {
    ResetAllSettingsForTest();
    (void)SetLogFile("");
    std::filesystem::remove_all(dir_);
  }

  std::string Write(const std::string& relative, const std::string& text) {
    std::string full = dir_ + "/" + relative;
    std::ofstream(full) << text;
    return full;
  }
  void WriteConf(const std::string& text) { Write("keel.conf", text); }

  // The log written since the last call.
  std::string TakeLog() {
    std::ifstream in(log_path_);
    std::stringstream all;
    all << in.rdbuf();
    std::string text = all.str();
    std::string fresh = text.substr(std::min(log_consumed_, text.size()));
    log_consumed_ = text.size();
    return fresh;
  }

  Error LoadError() {
    try {
      LoadConfigFile(conf_);
    } catch (const Error& e) {
      return e;
    }
    ADD_FAILURE() << "LoadConfigFile did not throw";
    return Error(sqlstate::kSuccessfulCompletion, "");
  }

  SettingInfo Info(const char* name) {
    for (SettingInfo& info : AllSettings()) {
      if (info.name == name) return info;
    }
    ADD_FAILURE() << name;
    return {};
  }

  std::string dir_;
  std::string conf_;
  std::string log_path_;
  size_t log_consumed_ = 0;
};

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(ConfigLoadTest, LoadAppliesEverySettingWithItsSource) {
  WriteConf(
      "port = 6000\n"
      "shared_buffers = 256MB\n"
      "unix_socket_permissions = 0700   # octal\n"
      "ssl = yes\n"
      "password_encryption = 'md5'\n"
      "DateStyle = 'SQL, DMY'\n"
      "myext.level = 'high'\n");
  LoadConfigFile(conf_);
  EXPECT_EQ(s::port, 6000);
  EXPECT_EQ(ShowSetting("shared_buffers"), "256MB");
  EXPECT_EQ(ShowSetting("unix_socket_permissions"), "0700");
  EXPECT_TRUE(s::ssl);
  EXPECT_EQ(s::password_encryption, s::PasswordEncryption::kMd5);
  EXPECT_EQ(s::date_style, "SQL, DMY");
  EXPECT_EQ(ShowSetting("myext.level"), "high");
  SettingInfo ssl = Info("ssl");
  EXPECT_EQ(ssl.source, SettingSource::kFile);
  EXPECT_EQ(ssl.source_file, conf_);
  EXPECT_EQ(ssl.source_line, 4);
  EXPECT_EQ(Info("fsync").source, SettingSource::kDefault);
}

TEST_F(ConfigLoadTest, LastOccurrenceWinsAcrossIncludes) {
  Write("extra.conf", "port = 6001\nmax_connections = 50\n");
  WriteConf("port = 6000\ninclude 'extra.conf'\nmax_connections = 60\nPORT = 6002\n");
  LoadConfigFile(conf_);
  EXPECT_EQ(s::port, 6002);
  EXPECT_EQ(s::max_connections, 60);
  EXPECT_EQ(Info("port").source_line, 4);
}

TEST_F(ConfigLoadTest, OnlyTheLastOccurrenceIsChecked) {
  WriteConf("port = abc\nport = 6000\n");
  LoadConfigFile(conf_);
  EXPECT_EQ(s::port, 6000);
}

TEST_F(ConfigLoadTest, UnknownNameFailsWithFileAndLine) {
  WriteConf("port = 6000\n\nfoo = 1\n");
  Error e = LoadError();
  EXPECT_EQ(e.sqlstate().code(), "F0000");
  EXPECT_EQ(e.message(), "configuration file \"" + conf_ + "\" contains errors");
  EXPECT_EQ(e.detail(),
            "unrecognized configuration parameter \"foo\" in file \"" + conf_ + "\" line 3");
  EXPECT_EQ(s::port, 5432);  // nothing applied
  EXPECT_TRUE(Contains(TakeLog(), "unrecognized configuration parameter \"foo\""));
}

TEST_F(ConfigLoadTest, SyntaxErrorFails) {
  WriteConf("port = 6000\nssl = = on\n");
  Error e = LoadError();
  EXPECT_EQ(e.sqlstate().code(), "F0000");
  EXPECT_EQ(e.detail(), "syntax error in file \"" + conf_ + "\" line 2, near token \"=\"");
  EXPECT_EQ(s::port, 5432);
}

TEST_F(ConfigLoadTest, ValueAndContextErrorsAreSuffixed) {
  WriteConf("ssl = on\nport = 'abc'\n");
  Error e = LoadError();
  EXPECT_EQ(e.detail(),
            "invalid value for parameter \"port\": \"abc\" in file \"" + conf_ + "\" line 2");
  EXPECT_FALSE(s::ssl);

  WriteConf("block_size = 4096\n");
  e = LoadError();
  EXPECT_EQ(e.detail(), "parameter \"block_size\" cannot be changed in file \"" + conf_ +
                            "\" line 1");

  WriteConf("shared_buffers = 1KB\n");
  e = LoadError();
  EXPECT_EQ(e.detail(), "invalid value for parameter \"shared_buffers\": \"1KB\" in file \"" +
                            conf_ + "\" line 1");
}

TEST_F(ConfigLoadTest, ErrorInIncludedFileNamesThatFile) {
  std::string extra = Write("extra.conf", "\nbogus_setting = 1\n");
  WriteConf("include 'extra.conf'\n");
  Error e = LoadError();
  EXPECT_EQ(e.message(), "configuration file \"" + extra + "\" contains errors");
  EXPECT_EQ(e.detail(), "unrecognized configuration parameter \"bogus_setting\" in file \"" +
                            extra + "\" line 2");
}

TEST_F(ConfigLoadTest, MissingFileFails) {
  Error e = LoadError();
  EXPECT_EQ(e.sqlstate().code(), "F0000");
  EXPECT_EQ(e.detail(),
            "could not open configuration file \"" + conf_ + "\": No such file or directory");
}

TEST_F(ConfigLoadTest, ReloadAppliesSighupAndUserChanges) {
  WriteConf("ssl = off\nstatement_timeout = 1s\nport = 6000\n");
  LoadConfigFile(conf_);
  TakeLog();
  WriteConf("ssl = on\nstatement_timeout = 2s\nport = 6000\n");
  ReloadConfigFile(conf_);
  EXPECT_TRUE(s::ssl);
  EXPECT_EQ(s::statement_timeout_ms, 2000);
  std::string log = TakeLog();
  EXPECT_TRUE(Contains(log, "LOG:  parameter \"ssl\" changed to \"on\"")) << log;
  EXPECT_TRUE(Contains(log, "parameter \"statement_timeout\" changed to \"2s\"")) << log;
  EXPECT_FALSE(Contains(log, "port")) << log;
  EXPECT_FALSE(Contains(log, "contains errors")) << log;
}

TEST_F(ConfigLoadTest, ReloadRefusesPostmasterChangeButAppliesTheRest) {
  WriteConf("port = 6000\nshared_buffers = 64MB\nfsync = on\n");
  LoadConfigFile(conf_);
  TakeLog();
  WriteConf("port = 6001\nshared_buffers = 8MB\nfsync = off\n");
  ReloadConfigFile(conf_);
  EXPECT_EQ(s::port, 6000);
  EXPECT_EQ(ShowSetting("shared_buffers"), "64MB");
  EXPECT_FALSE(s::fsync);
  EXPECT_TRUE(Info("port").pending_restart);
  std::string log = TakeLog();
  EXPECT_TRUE(Contains(log, "parameter \"port\" cannot be changed without restarting the server"))
      << log;
  EXPECT_TRUE(
      Contains(log, "parameter \"shared_buffers\" cannot be changed without restarting the server"))
      << log;
  EXPECT_TRUE(Contains(log, "configuration file \"" + conf_ +
                                "\" contains errors; unaffected changes were applied"))
      << log;
  // Putting the old value back clears the pending restart and says nothing.
  WriteConf("port = 6000\nshared_buffers = 64MB\nfsync = off\n");
  ReloadConfigFile(conf_);
  EXPECT_FALSE(Info("port").pending_restart);
  EXPECT_FALSE(Contains(TakeLog(), "port"));
}

TEST_F(ConfigLoadTest, ReloadResetsRemovedLines) {
  WriteConf("ssl = on\nlock_timeout = 5s\nport = 6000\n");
  LoadConfigFile(conf_);
  TakeLog();
  WriteConf("# emptied\n");
  ReloadConfigFile(conf_);
  EXPECT_FALSE(s::ssl);
  EXPECT_EQ(s::lock_timeout_ms, 0);
  EXPECT_EQ(Info("ssl").source, SettingSource::kDefault);
  EXPECT_EQ(s::port, 6000);  // a postmaster setting keeps its value until restart
  std::string log = TakeLog();
  EXPECT_TRUE(Contains(log, "parameter \"ssl\" removed from configuration file, reset to default"))
      << log;
  EXPECT_TRUE(Contains(log, "parameter \"lock_timeout\" removed from configuration file, "
                            "reset to default"))
      << log;
  EXPECT_TRUE(Contains(log, "parameter \"port\" cannot be changed without restarting the server"))
      << log;
}

TEST_F(ConfigLoadTest, ReloadWithErrorsAppliesNothing) {
  WriteConf("ssl = off\nlock_timeout = 5s\n");
  LoadConfigFile(conf_);
  TakeLog();
  WriteConf("ssl = on\nlock_timeout = 7s\nport = banana\nnope = 1\n");
  ReloadConfigFile(conf_);
  EXPECT_FALSE(s::ssl);
  EXPECT_EQ(s::lock_timeout_ms, 5000);
  std::string log = TakeLog();
  EXPECT_TRUE(Contains(log, "invalid value for parameter \"port\": \"banana\" in file \"" + conf_ +
                                "\" line 3"))
      << log;
  EXPECT_TRUE(Contains(log, "unrecognized configuration parameter \"nope\" in file \"" + conf_ +
                                "\" line 4"))
      << log;
  EXPECT_TRUE(Contains(log, "configuration file \"" + conf_ +
                                "\" contains errors; no changes were applied"))
      << log;
  EXPECT_FALSE(Contains(log, "changed to")) << log;

  // Syntax errors, and a missing file, likewise; reload never throws.
  WriteConf("ssl = on\nlock_timeout 'x\n");
  ReloadConfigFile(conf_);
  EXPECT_FALSE(s::ssl);
  std::filesystem::remove(conf_);
  ReloadConfigFile(conf_);
  EXPECT_EQ(s::lock_timeout_ms, 5000);
  EXPECT_TRUE(Contains(TakeLog(), "no changes were applied"));
}

TEST_F(ConfigLoadTest, CommandLineBeatsTheFileOnLoadAndReload) {
  SetFromCommandLine("statement_timeout=9s");
  SetFromCommandLine("port=7000");
  WriteConf("statement_timeout = 1s\nport = 6000\n");
  LoadConfigFile(conf_);
  EXPECT_EQ(s::statement_timeout_ms, 9000);
  EXPECT_EQ(s::port, 7000);
  EXPECT_EQ(Info("statement_timeout").source, SettingSource::kCommandLine);
  TakeLog();
  WriteConf("statement_timeout = 2s\nport = 6000\n");
  ReloadConfigFile(conf_);
  EXPECT_EQ(s::statement_timeout_ms, 9000);
  EXPECT_FALSE(Contains(TakeLog(), "statement_timeout"));
  WriteConf("port = 6000\n");  // removed from the file: the command line still wins
  ReloadConfigFile(conf_);
  EXPECT_EQ(s::statement_timeout_ms, 9000);
}

TEST_F(ConfigLoadTest, SessionValueSurvivesReloadAndResetFindsTheNewFileValue) {
  WriteConf("lock_timeout = 1s\n");
  LoadConfigFile(conf_);
  SetSetting("lock_timeout", "3s", SettingSource::kSession, Phase::kRunning);
  WriteConf("lock_timeout = 2s\n");
  ReloadConfigFile(conf_, Severity::kDebug2);
  EXPECT_EQ(s::lock_timeout_ms, 3000);
  ResetSetting("lock_timeout");
  EXPECT_EQ(s::lock_timeout_ms, 2000);
  EXPECT_FALSE(Contains(TakeLog(), "lock_timeout"));  // logged at DEBUG2: filtered out
}

TEST_F(ConfigLoadTest, ReloadChangesTheLogLevel) {
  WriteConf("log_min_messages = warning\n");
  LoadConfigFile(conf_);
  WriteConf("log_min_messages = error\n");
  ReloadConfigFile(conf_);
  EXPECT_EQ(LogMinSeverity(), Severity::kError);
  EXPECT_EQ(s::log_min_messages, Severity::kError);
}

TEST_F(ConfigLoadTest, ReloadRefusesInternalSettings) {
  WriteConf("ssl = on\nserver_version = '99'\n");
  ReloadConfigFile(conf_);
  EXPECT_FALSE(s::ssl);
  EXPECT_TRUE(Contains(TakeLog(), "parameter \"server_version\" cannot be changed in file"));
}

TEST_F(ConfigLoadTest, IncludeDirAndIfExistsThroughLoad) {
  std::filesystem::create_directories(dir_ + "/conf.d");
  Write("conf.d/01-base.conf", "max_connections = 10\nport = 6000\n");
  Write("conf.d/02-override.conf", "max_connections = 20\n");
  WriteConf("include_dir 'conf.d'\ninclude_if_exists 'local.conf'\n");
  LoadConfigFile(conf_);
  EXPECT_EQ(s::max_connections, 20);
  EXPECT_EQ(s::port, 6000);
  Write("local.conf", "max_connections = 30\n");
  ReloadConfigFile(conf_);  // max_connections is postmaster: refused at reload
  EXPECT_EQ(s::max_connections, 20);
  EXPECT_TRUE(Contains(TakeLog(), "parameter \"max_connections\" cannot be changed without "
                                  "restarting the server"));
}

}  // namespace
}  // namespace keel::config

// Tests for the registry through config.h: defaults, SET, contexts, priorities, SHOW, reporting.
#include "backend/utils/config/config.h"

#include <gtest/gtest.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "backend/utils/config/settings.h"
#include "backend/utils/error/log.h"

namespace keel::config {
namespace {

namespace s = keel::settings;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { ResetAllSettingsForTest(); }
  void TearDown() override { ResetAllSettingsForTest(); }
};

template <typename Fn>
Error Catch(Fn fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error thrown";
  return Error(sqlstate::kSuccessfulCompletion, "");
}

void Set(std::string_view name, std::string_view value, bool superuser = true) {
  SetSetting(name, value, SettingSource::kSession, Phase::kRunning, superuser);
}

TEST_F(RegistryTest, DefaultsAsShown) {
  const std::pair<const char*, const char*> expected[] = {
      {"listen_addresses", "localhost"},
      {"port", "5432"},
      {"max_connections", "100"},
      {"superuser_reserved_connections", "3"},
      {"unix_socket_directories", "/tmp"},
      {"unix_socket_permissions", "0777"},
      {"authentication_timeout", "1min"},
      {"ssl", "off"},
      {"ssl_cert_file", "server.crt"},
      {"ssl_key_file", "server.key"},
      {"ssl_ca_file", ""},
      {"password_encryption", "scram-sha-256"},
      {"hba_file", ""},
      {"shared_buffers", "128MB"},
      {"work_mem", "4MB"},
      {"maintenance_work_mem", "64MB"},
      {"log_min_messages", "warning"},
      {"log_file", ""},
      {"log_connections", "off"},
      {"log_disconnections", "off"},
      {"cluster_name", ""},
      {"application_name", ""},
      {"client_encoding", "UTF8"},
      {"DateStyle", "ISO, MDY"},
      {"IntervalStyle", "postgres"},
      {"TimeZone", "UTC"},
      {"standard_conforming_strings", "on"},
      {"extra_float_digits", "1"},
      {"search_path", "\"$user\", public"},
      {"statement_timeout", "0"},
      {"lock_timeout", "0"},
      {"deadlock_timeout", "1s"},
      {"checkpoint_timeout", "5min"},
      {"checkpoint_completion_target", "0.9"},
      {"max_wal_size", "1GB"},
      {"min_wal_size", "80MB"},
      {"checkpoint_warning", "30s"},
      {"log_checkpoints", "on"},
      {"fsync", "on"},
      {"io_method", "io_uring"},
      {"effective_io_concurrency", "1"},
      {"wal_buffers", "-1"},
      {"wal_sync_method", "fdatasync"},
      {"synchronous_commit", "on"},
      {"full_page_writes", "on"},
      {"wal_compression", "off"},
      {"wal_writer_delay", "200ms"},
      {"wal_writer_flush_after", "1MB"},
      {"commit_delay", "0"},
      {"commit_siblings", "5"},
      {"bgwriter_delay", "200ms"},
      {"bgwriter_lru_maxpages", "100"},
      {"bgwriter_lru_multiplier", "2"},
      {"data_checksums", "on"},
      {"wal_segment_size", "16MB"},
      {"data_directory", ""},
      {"server_version", "15.0 (Keel 0.1.0)"},
      {"server_version_num", "150000"},
      {"server_encoding", "UTF8"},
      {"integer_datetimes", "on"},
      {"is_superuser", "off"},
      {"session_authorization", ""},
      {"block_size", "8192"},
      {"max_identifier_length", "63"},
      {"in_hot_standby", "off"},
      {"default_transaction_read_only", "off"},
      {"autovacuum", "on"},
      {"autovacuum_max_workers", "3"},
      {"max_prepared_transactions", "0"},
      {"track_activity_query_size", "1kB"},
      {"autovacuum_naptime", "1min"},
      {"autovacuum_vacuum_threshold", "50"},
      {"autovacuum_vacuum_scale_factor", "0.2"},
      {"autovacuum_vacuum_insert_threshold", "1000"},
      {"autovacuum_vacuum_insert_scale_factor", "0.2"},
      {"log_autovacuum_min_duration", "-1"},
  };
  for (const auto& [name, shown] : expected) EXPECT_EQ(ShowSetting(name), shown) << name;
  EXPECT_EQ(AllSettings().size(), std::size(expected));
}

TEST_F(RegistryTest, VariablesHoldTheDefaultsInBaseUnits) {
  EXPECT_EQ(s::port, 5432);
  EXPECT_EQ(s::listen_addresses, "localhost");
  EXPECT_EQ(s::unix_socket_permissions, 0777);
  EXPECT_EQ(s::authentication_timeout_s, 60);
  EXPECT_EQ(s::shared_buffers_pages, 16384);
  EXPECT_EQ(s::work_mem_kb, 4096);
  EXPECT_EQ(s::maintenance_work_mem_kb, 65536);
  EXPECT_EQ(s::max_wal_size_mb, 1024);
  EXPECT_EQ(s::checkpoint_timeout_s, 300);
  EXPECT_EQ(s::deadlock_timeout_ms, 1000);
  EXPECT_FALSE(s::ssl);
  EXPECT_TRUE(s::fsync);
  EXPECT_EQ(s::password_encryption, s::PasswordEncryption::kScramSha256);
  EXPECT_EQ(s::interval_style, s::IntervalStyle::kPostgres);
  EXPECT_EQ(s::log_min_messages, Severity::kWarning);
  EXPECT_EQ(s::date_style, "ISO, MDY");
  EXPECT_DOUBLE_EQ(s::checkpoint_completion_target, 0.9);
}

TEST_F(RegistryTest, SetChangesTheVariableAndShow) {
  Set("statement_timeout", "5s");
  EXPECT_EQ(s::statement_timeout_ms, 5000);
  EXPECT_EQ(ShowSetting("statement_timeout"), "5s");
  Set("statement_timeout", "1500");
  EXPECT_EQ(ShowSetting("statement_timeout"), "1500ms");
  Set("password_encryption", "MD5");
  EXPECT_EQ(s::password_encryption, s::PasswordEncryption::kMd5);
  EXPECT_EQ(ShowSetting("password_encryption"), "md5");
  Set("IntervalStyle", "ISO_8601");
  EXPECT_EQ(s::interval_style, s::IntervalStyle::kIso8601);
  Set("standard_conforming_strings", "of");
  EXPECT_FALSE(s::standard_conforming_strings);
  EXPECT_EQ(ShowSetting("standard_conforming_strings"), "off");
  Set("extra_float_digits", "-15");
  EXPECT_EQ(s::extra_float_digits, -15);
  Set("search_path", "app, public");
  EXPECT_EQ(s::search_path, "app, public");
}

TEST_F(RegistryTest, NamesAreCaseInsensitive) {
  Set("datestyle", "German, DMY");
  EXPECT_EQ(s::date_style, "German, DMY");
  EXPECT_EQ(ShowSetting("DATESTYLE"), "German, DMY");
  Set("TIMEZONE", "Europe/Paris");
  EXPECT_EQ(ShowSetting("timezone"), "Europe/Paris");
  SetSetting("PORT", "6000", SettingSource::kCommandLine, Phase::kStartup);
  EXPECT_EQ(s::port, 6000);
  // AllSettings and ReportedSettings use the canonical spelling.
  auto reported = ReportedSettings();
  EXPECT_TRUE(std::any_of(reported.begin(), reported.end(),
                          [](const auto& p) { return p.first == "DateStyle"; }));
}

TEST_F(RegistryTest, UnknownNameIsUndefinedObject) {
  Error e = Catch([] { Set("no_such_setting", "1"); });
  EXPECT_EQ(e.sqlstate().code(), "42704");
  EXPECT_EQ(e.message(), "unrecognized configuration parameter \"no_such_setting\"");
  e = Catch([] { (void)ShowSetting("no_such_setting"); });
  EXPECT_EQ(e.sqlstate().code(), "42704");
  e = Catch([] { ResetSetting("no_such_setting"); });
  EXPECT_EQ(e.sqlstate().code(), "42704");
}

TEST_F(RegistryTest, BadValuesGivePostgresMessages) {
  SetSetting("port", "5433", SettingSource::kCommandLine, Phase::kStartup);
  Error e = Catch([] { SetSetting("port", "abc", SettingSource::kFile, Phase::kStartup); });
  EXPECT_EQ(e.sqlstate().code(), "22023");
  EXPECT_EQ(e.message(), "invalid value for parameter \"port\": \"abc\"");
  e = Catch([] { SetSetting("port", "70000", SettingSource::kFile, Phase::kStartup); });
  EXPECT_EQ(e.message(), "70000 is outside the valid range for parameter \"port\" (1 .. 65535)");
  e = Catch([] { SetSetting("shared_buffers", "8", SettingSource::kFile, Phase::kStartup); });
  EXPECT_EQ(e.message(),
            "8 8kB is outside the valid range for parameter \"shared_buffers\" "
            "(16 .. 1073741823)");
  e = Catch([] { SetSetting("shared_buffers", "1KB", SettingSource::kFile, Phase::kStartup); });
  EXPECT_EQ(e.hint(),
            "Valid units for this parameter are \"B\", \"kB\", \"MB\", \"GB\", and \"TB\".");
  e = Catch([] { Set("statement_timeout", "5 sec"); });
  EXPECT_EQ(e.hint(),
            "Valid units for this parameter are \"us\", \"ms\", \"s\", \"min\", \"h\", and \"d\".");
  e = Catch([] { SetSetting("authentication_timeout", "0", SettingSource::kFile,
                            Phase::kRunning); });
  EXPECT_EQ(e.message(),
            "0 s is outside the valid range for parameter \"authentication_timeout\" (1 .. 600)");
  e = Catch([] { SetSetting("ssl", "maybe", SettingSource::kFile, Phase::kRunning); });
  EXPECT_EQ(e.message(), "parameter \"ssl\" requires a Boolean value");
  e = Catch([] { Set("password_encryption", "sha1"); });
  EXPECT_EQ(e.message(), "invalid value for parameter \"password_encryption\": \"sha1\"");
  EXPECT_EQ(e.hint(), "Available values: md5, scram-sha-256.");
  e = Catch([] { Set("log_min_messages", "verbose"); });
  EXPECT_EQ(e.hint(), "Available values: debug5, debug4, debug3, debug2, debug1, info, notice, "
                      "warning, error, log, fatal, panic.");
  // Failed sets leave the value alone.
  EXPECT_EQ(s::port, 5433);
  EXPECT_EQ(s::shared_buffers_pages, 16384);
}

TEST_F(RegistryTest, OctalPermissions) {
  SetSetting("unix_socket_permissions", "0700", SettingSource::kFile, Phase::kStartup);
  EXPECT_EQ(s::unix_socket_permissions, 0700);
  EXPECT_EQ(ShowSetting("unix_socket_permissions"), "0700");
  SetSetting("unix_socket_permissions", "0x1F8", SettingSource::kFile, Phase::kStartup);
  EXPECT_EQ(ShowSetting("unix_socket_permissions"), "0770");
  SetSetting("unix_socket_permissions", "511", SettingSource::kFile, Phase::kStartup);
  EXPECT_EQ(ShowSetting("unix_socket_permissions"), "0777");
  Error e = Catch([] {
    SetSetting("unix_socket_permissions", "01000", SettingSource::kFile, Phase::kStartup);
  });
  EXPECT_EQ(e.message(),
            "512 is outside the valid range for parameter \"unix_socket_permissions\" (0 .. 511)");
}

TEST_F(RegistryTest, InternalSettingsCannotBeChanged) {
  for (SettingSource source : {SettingSource::kFile, SettingSource::kCommandLine,
                               SettingSource::kClient, SettingSource::kSession}) {
    for (Phase phase : {Phase::kStartup, Phase::kRunning}) {
      Error e = Catch([&] { SetSetting("block_size", "8192", source, phase); });
      EXPECT_EQ(e.sqlstate().code(), "55P02");
      EXPECT_EQ(e.message(), "parameter \"block_size\" cannot be changed");
    }
  }
  // The server itself sets them (source kDefault).
  SetSetting("is_superuser", "on", SettingSource::kDefault, Phase::kRunning);
  EXPECT_TRUE(s::is_superuser);
  EXPECT_EQ(ShowSetting("is_superuser"), "on");
  SetSetting("session_authorization", "alice", SettingSource::kDefault, Phase::kRunning);
  EXPECT_EQ(ShowSetting("session_authorization"), "alice");
}

TEST_F(RegistryTest, PostmasterSettingsOnlyAtStartup) {
  SetSetting("port", "6000", SettingSource::kFile, Phase::kStartup);
  SetSetting("shared_buffers", "256MB", SettingSource::kCommandLine, Phase::kStartup);
  EXPECT_EQ(s::port, 6000);
  EXPECT_EQ(ShowSetting("shared_buffers"), "256MB");
  const char* restart = "parameter \"port\" cannot be changed without restarting the server";
  Error e = Catch([] { Set("port", "6001"); });
  EXPECT_EQ(e.sqlstate().code(), "55P02");
  EXPECT_EQ(e.message(), restart);
  e = Catch([] { SetSetting("port", "6001", SettingSource::kClient, Phase::kRunning); });
  EXPECT_EQ(e.message(), restart);
  e = Catch([] { SetSetting("port", "6001", SettingSource::kFile, Phase::kRunning); });
  EXPECT_EQ(e.message(), restart);
  // The same value again at reload is fine.
  SetSetting("port", "6000", SettingSource::kFile, Phase::kRunning);
  // The context is checked before the value, as in PostgreSQL.
  e = Catch([] { Set("port", "abc"); });
  EXPECT_EQ(e.message(), restart);
  EXPECT_EQ(s::port, 6000);
}

TEST_F(RegistryTest, SighupSettingsNotFromSessionOrClient) {
  SetSetting("ssl", "on", SettingSource::kFile, Phase::kRunning);
  EXPECT_TRUE(s::ssl);
  Error e = Catch([] { Set("ssl", "off"); });
  EXPECT_EQ(e.sqlstate().code(), "55P02");
  EXPECT_EQ(e.message(), "parameter \"ssl\" cannot be changed now");
  e = Catch([] { SetSetting("authentication_timeout", "10s", SettingSource::kClient,
                            Phase::kRunning); });
  EXPECT_EQ(e.message(), "parameter \"authentication_timeout\" cannot be changed now");
  EXPECT_TRUE(s::ssl);
}

TEST_F(RegistryTest, SuperuserBackendSettings) {
  Error e = Catch([] {
    SetSetting("log_connections", "on", SettingSource::kClient, Phase::kRunning, false);
  });
  EXPECT_EQ(e.sqlstate().code(), "42501");
  EXPECT_EQ(e.message(), "permission denied to set parameter \"log_connections\"");
  SetSetting("log_connections", "on", SettingSource::kClient, Phase::kRunning, true);
  EXPECT_TRUE(s::log_connections);
  e = Catch([] { Set("log_connections", "off", true); });
  EXPECT_EQ(e.sqlstate().code(), "55P02");
  EXPECT_EQ(e.message(), "parameter \"log_connections\" cannot be set after connection start");
  e = Catch([] { ResetSetting("log_connections"); });
  EXPECT_EQ(e.sqlstate().code(), "55P02");
  SetSetting("log_disconnections", "on", SettingSource::kFile, Phase::kRunning);
  EXPECT_TRUE(s::log_disconnections);
}

TEST_F(RegistryTest, SuperuserSettings) {
  Error e = Catch([] { Set("log_min_messages", "debug1", false); });
  EXPECT_EQ(e.sqlstate().code(), "42501");
  EXPECT_EQ(e.message(), "permission denied to set parameter \"log_min_messages\"");
  e = Catch([] {
    SetSetting("deadlock_timeout", "2s", SettingSource::kClient, Phase::kRunning, false);
  });
  EXPECT_EQ(e.message(), "permission denied to set parameter \"deadlock_timeout\"");
  SetSetting("deadlock_timeout", "2s", SettingSource::kClient, Phase::kRunning, true);
  EXPECT_EQ(s::deadlock_timeout_ms, 2000);
  Set("deadlock_timeout", "3s", true);
  EXPECT_EQ(ShowSetting("deadlock_timeout"), "3s");
}

TEST_F(RegistryTest, UserSettingsFromAnyone) {
  Set("application_name", "psql", false);
  SetSetting("TimeZone", "Asia/Tokyo", SettingSource::kClient, Phase::kRunning, false);
  EXPECT_EQ(s::application_name, "psql");
  EXPECT_EQ(s::time_zone, "Asia/Tokyo");
}

TEST_F(RegistryTest, LogMinMessagesReachesTheLogger) {
  Set("log_min_messages", "ERROR");
  EXPECT_EQ(LogMinSeverity(), Severity::kError);
  Set("log_min_messages", "log");
  EXPECT_EQ(LogMinSeverity(), Severity::kLog);
  ResetAllSettingsForTest();
  EXPECT_EQ(LogMinSeverity(), Severity::kWarning);
}

TEST_F(RegistryTest, LogFileReachesTheLogger) {
  char dir_template[] = "/tmp/keel_config_test_XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  std::string path = std::string(dir_template) + "/server.log";
  SetSetting("log_file", path, SettingSource::kFile, Phase::kRunning);
  Log(Severity::kWarning, "marker %d", 4711);
  SetSetting("log_file", "", SettingSource::kFile, Phase::kRunning);  // back to stderr
  Log(Severity::kWarning, "not in the file");
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  EXPECT_NE(contents.str().find("WARNING:  marker 4711"), std::string::npos) << contents.str();
  EXPECT_EQ(contents.str().find("not in the file"), std::string::npos);
  unlink(path.c_str());
  rmdir(dir_template);
}

TEST_F(RegistryTest, HigherSourcesWin) {
  SetSetting("statement_timeout", "1s", SettingSource::kCommandLine, Phase::kStartup);
  SetSetting("statement_timeout", "2s", SettingSource::kFile, Phase::kStartup);  // lower
  EXPECT_EQ(ShowSetting("statement_timeout"), "1s");
  SetSetting("statement_timeout", "3s", SettingSource::kClient, Phase::kRunning);
  EXPECT_EQ(ShowSetting("statement_timeout"), "3s");
  Set("statement_timeout", "4s");
  EXPECT_EQ(ShowSetting("statement_timeout"), "4s");
  SetSetting("statement_timeout", "5s", SettingSource::kClient, Phase::kRunning);
  EXPECT_EQ(ShowSetting("statement_timeout"), "4s");  // the session value stays
  ResetSetting("statement_timeout");
  EXPECT_EQ(ShowSetting("statement_timeout"), "5s");  // RESET: back to the client value
  EXPECT_EQ(s::statement_timeout_ms, 5000);
}

TEST_F(RegistryTest, ResetAllSessionSettings) {
  SetSetting("application_name", "from_client", SettingSource::kClient, Phase::kRunning);
  Set("application_name", "changed");
  Set("lock_timeout", "10s");
  ResetAllSessionSettings();
  EXPECT_EQ(ShowSetting("application_name"), "from_client");
  EXPECT_EQ(ShowSetting("lock_timeout"), "0");
}

TEST_F(RegistryTest, CommandLineForms) {
  SetFromCommandLine("port=6543");
  EXPECT_EQ(s::port, 6543);
  SetFromCommandLine("--shared-buffers=256MB");
  EXPECT_EQ(ShowSetting("shared_buffers"), "256MB");
  SetFromCommandLine("max-connections=20");
  EXPECT_EQ(s::max_connections, 20);
  SetFromCommandLine("search_path=a=b");  // only the first '=' splits
  EXPECT_EQ(s::search_path, "a=b");
  for (SettingInfo& info : AllSettings()) {
    if (info.name == "port") {
      EXPECT_EQ(info.source, SettingSource::kCommandLine);
    }
  }
  Error e = Catch([] { SetFromCommandLine("port"); });
  EXPECT_EQ(e.sqlstate().code(), "42601");
  EXPECT_EQ(e.message(), "-c port requires a value");
  e = Catch([] { SetFromCommandLine("--max-connections"); });
  EXPECT_EQ(e.message(), "--max-connections requires a value");
  e = Catch([] { SetFromCommandLine("bogus=1"); });
  EXPECT_EQ(e.sqlstate().code(), "42704");
}

TEST_F(RegistryTest, ReportedSettingsInNameOrder) {
  auto reported = ReportedSettings();
  std::vector<std::string> names;
  for (const auto& [name, value] : reported) names.push_back(name);
  const std::vector<std::string> expected = {
      "application_name", "client_encoding", "DateStyle", "default_transaction_read_only",
      "in_hot_standby", "integer_datetimes", "IntervalStyle", "is_superuser",
      "server_encoding", "server_version", "session_authorization",
      "standard_conforming_strings", "TimeZone"};
  EXPECT_EQ(names, expected);
  for (const auto& [name, value] : reported) {
    EXPECT_EQ(value, ShowSetting(name));
    EXPECT_TRUE(IsSettingReportedToClient(name));
  }
  EXPECT_TRUE(IsSettingReportedToClient("datestyle"));
  EXPECT_FALSE(IsSettingReportedToClient("port"));
  EXPECT_FALSE(IsSettingReportedToClient("no_such_setting"));
}

TEST_F(RegistryTest, ReportedChangesAfterSet) {
  (void)ReportedSettings();
  EXPECT_TRUE(TakeReportedChanges().empty());
  Set("application_name", "psql");
  Set("statement_timeout", "1s");  // not reported
  Set("TimeZone", "UTC");          // unchanged
  auto changes = TakeReportedChanges();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].first, "application_name");
  EXPECT_EQ(changes[0].second, "psql");
  EXPECT_TRUE(TakeReportedChanges().empty());
  Set("DateStyle", "SQL, DMY");
  SetSetting("is_superuser", "on", SettingSource::kDefault, Phase::kRunning);
  changes = TakeReportedChanges();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].first, "DateStyle");
  EXPECT_EQ(changes[1].first, "is_superuser");
  EXPECT_EQ(changes[1].second, "on");
}

TEST_F(RegistryTest, AllSettingsDescribesEachSetting) {
  SetSetting("deadlock_timeout", "2s", SettingSource::kCommandLine, Phase::kStartup);
  Set("deadlock_timeout", "3s");
  std::vector<SettingInfo> all = AllSettings();
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return strcasecmp(a.name.c_str(), b.name.c_str()) < 0;
  }));
  auto find = [&all](const char* name) {
    auto it = std::find_if(all.begin(), all.end(), [name](const auto& i) { return i.name == name; });
    EXPECT_NE(it, all.end()) << name;
    return *it;
  };
  SettingInfo sb = find("shared_buffers");
  EXPECT_EQ(sb.shown, "128MB");
  EXPECT_EQ(sb.setting, "16384");
  EXPECT_EQ(sb.unit, "8kB");
  EXPECT_EQ(sb.boot_value, "16384");
  EXPECT_EQ(sb.min_value, "16");
  EXPECT_EQ(sb.context, SettingContext::kPostmaster);
  EXPECT_EQ(sb.type, SettingType::kInt);
  EXPECT_EQ(sb.source, SettingSource::kDefault);
  EXPECT_EQ(sb.category, "Resource Usage / Memory");
  EXPECT_FALSE(sb.description.empty());
  SettingInfo pe = find("password_encryption");
  EXPECT_EQ(pe.type, SettingType::kEnum);
  EXPECT_EQ(pe.enum_values, (std::vector<std::string>{"md5", "scram-sha-256"}));
  EXPECT_EQ(pe.min_value, "");
  SettingInfo dt = find("deadlock_timeout");
  EXPECT_EQ(dt.shown, "3s");
  EXPECT_EQ(dt.setting, "3000");
  EXPECT_EQ(dt.reset_value, "2000");
  EXPECT_EQ(dt.boot_value, "1000");
  EXPECT_EQ(dt.source, SettingSource::kSession);
  EXPECT_EQ(dt.unit, "ms");
  SettingInfo ds = find("DateStyle");
  EXPECT_TRUE(ds.reported);
  EXPECT_EQ(ds.type, SettingType::kString);
  EXPECT_EQ(find("checkpoint_completion_target").max_value, "1");
  EXPECT_STREQ(ContextName(SettingContext::kSuperuserBackend), "superuser-backend");
  EXPECT_STREQ(SourceName(SettingSource::kFile), "configuration file");
  EXPECT_STREQ(TypeName(SettingType::kInt), "integer");
}

TEST_F(RegistryTest, PlaceholderSettings) {
  Set("myapp.user_id", "42", false);
  EXPECT_EQ(ShowSetting("myapp.user_id"), "42");
  EXPECT_EQ(ShowSetting("MyApp.User_Id"), "42");
  Error e = Catch([] { (void)ShowSetting("myapp.other"); });
  EXPECT_EQ(e.sqlstate().code(), "42704");
  e = Catch([] { Set("my-app.x", "1"); });
  EXPECT_EQ(e.sqlstate().code(), "42602");
  EXPECT_EQ(e.message(), "invalid configuration parameter name \"my-app.x\"");
  ResetSetting("myapp.user_id");
  EXPECT_EQ(ShowSetting("myapp.user_id"), "");
  ResetAllSettingsForTest();
  e = Catch([] { (void)ShowSetting("myapp.user_id"); });
  EXPECT_EQ(e.sqlstate().code(), "42704");
}

// Sort memory budgets (backend/utils/sort): user-settable, kB base unit, PostgreSQL's minimums.
TEST_F(RegistryTest, SortMemorySettings) {
  Set("work_mem", "256MB");
  EXPECT_EQ(s::work_mem_kb, 262144);
  EXPECT_EQ(ShowSetting("work_mem"), "256MB");
  Set("maintenance_work_mem", "1GB");
  EXPECT_EQ(s::maintenance_work_mem_kb, 1048576);
  Set("work_mem", "100");  // a bare number is in kB
  EXPECT_EQ(s::work_mem_kb, 100);
  Error e = Catch([] { Set("work_mem", "32kB"); });
  EXPECT_EQ(e.sqlstate().code(), "22023");
  EXPECT_EQ(e.message(),
            "32 kB is outside the valid range for parameter \"work_mem\" (64 .. 2147483647)");
  e = Catch([] { Set("maintenance_work_mem", "512kB"); });
  EXPECT_EQ(e.message(),
            "512 kB is outside the valid range for parameter \"maintenance_work_mem\" "
            "(1024 .. 2147483647)");
  EXPECT_EQ(s::maintenance_work_mem_kb, 1048576);
}

TEST_F(RegistryTest, ResetForTestRestoresDefaults) {
  SetFromCommandLine("port=7000");
  Set("application_name", "x");
  SetSetting("ssl", "on", SettingSource::kFile, Phase::kRunning);
  ResetAllSettingsForTest();
  EXPECT_EQ(s::port, 5432);
  EXPECT_EQ(s::application_name, "");
  EXPECT_FALSE(s::ssl);
  for (const SettingInfo& info : AllSettings()) {
    EXPECT_EQ(info.source, SettingSource::kDefault) << info.name;
    EXPECT_EQ(info.setting, info.boot_value) << info.name;
  }
}

}  // namespace
}  // namespace keel::config

// Tests for keel_hba.conf parsing (every form, errors with line numbers) and matching.
#include "backend/protocol/auth/hba.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "backend/utils/error/error.h"

namespace keel::auth {
namespace {

sockaddr_storage Addr(const char* text) {
  sockaddr_storage storage{};
  auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
  } else {
    EXPECT_EQ(inet_pton(AF_INET6, text, &sin6->sin6_addr), 1) << text;
    sin6->sin6_family = AF_INET6;
  }
  return storage;
}

// Line number of the match, 0 for none.
int MatchTcp(const HbaFile& file, const char* ip, const char* db, const char* user,
             bool ssl = false) {
  HbaRequest request;
  request.is_ssl = ssl;
  request.peer = Addr(ip);
  request.database = db;
  request.user = user;
  const HbaLine* line = file.Match(request);
  return line ? line->line_number : 0;
}

int MatchLocal(const HbaFile& file, const char* db, const char* user, bool replication = false) {
  HbaRequest request;
  request.is_unix = true;
  request.database = db;
  request.user = user;
  request.replication = replication;
  const HbaLine* line = file.Match(request);
  return line ? line->line_number : 0;
}

Error ParseError(const std::string& text) {
  try {
    (void)HbaFile::Parse(text, "/data/keel_hba.conf");
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "parsed without error: " << text;
  return Error(sqlstate::kSuccessfulCompletion, "");
}

TEST(HbaParseTest, AllForms) {
  HbaFile file = HbaFile::Parse(
      "# comment line\n"
      "\n"
      "local   all   all                      trust   # trailing comment\n"
      "host    db1,\"All\"  alice, bob  10.0.0.0/8   md5\n"
      "hostssl all   all   192.168.1.0  255.255.255.0  scram-sha-256\n"
      "hostnossl all all  ::1/128  password\n"
      "host    all   all   samehost   reject\n"
      "host    all   all   samenet \\\n"
      "        reject\n"
      "local   sameuser all peer\n"
      "host    all   all   all   trust\n",
      "keel_hba.conf");
  ASSERT_EQ(file.lines().size(), 8u);
  const HbaLine& l0 = file.lines()[0];
  EXPECT_EQ(l0.line_number, 3);
  EXPECT_EQ(l0.conn_type, HbaConnType::kLocal);
  EXPECT_EQ(l0.method, HbaMethod::kTrust);
  EXPECT_EQ(l0.raw_line, "local   all   all                      trust   # trailing comment");

  const HbaLine& l1 = file.lines()[1];
  ASSERT_EQ(l1.databases.size(), 2u);
  EXPECT_EQ(l1.databases[1].text, "All");
  EXPECT_TRUE(l1.databases[1].quoted);
  ASSERT_EQ(l1.users.size(), 2u);  // "alice, bob": whitespace after a comma continues the list
  EXPECT_EQ(l1.users[1].text, "bob");
  EXPECT_EQ(l1.address_match, HbaAddressMatch::kMask);
  EXPECT_EQ(l1.family, AF_INET);
  EXPECT_EQ(l1.method, HbaMethod::kMd5);

  EXPECT_EQ(file.lines()[2].conn_type, HbaConnType::kHostSsl);
  EXPECT_EQ(file.lines()[2].mask[3], 0);
  EXPECT_EQ(file.lines()[2].mask[2], 255);
  EXPECT_EQ(file.lines()[3].family, AF_INET6);
  EXPECT_EQ(file.lines()[4].address_match, HbaAddressMatch::kSameHost);
  const HbaLine& cont = file.lines()[5];
  EXPECT_EQ(cont.address_match, HbaAddressMatch::kSameNet);
  EXPECT_EQ(cont.line_number, 8);
  EXPECT_EQ(cont.method, HbaMethod::kReject);
  EXPECT_EQ(file.lines()[6].method, HbaMethod::kPeer);
  EXPECT_EQ(file.lines()[7].address_match, HbaAddressMatch::kAll);
  EXPECT_STREQ(HbaMethodName(HbaMethod::kScramSha256), "scram-sha-256");
}

TEST(HbaParseTest, ErrorsCarryLineNumbers) {
  struct Case {
    std::string text;
    const char* message;
    int line;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"local all all trust\nhots all all 1.2.3.4/32 trust\n",
            "invalid connection type \"hots\"", 2},
           {"\n\nlocal all all sha1\n", "invalid authentication method \"sha1\"", 3},
           {"local\n", "end-of-line before database specification", 1},
           {"local all\n", "end-of-line before role specification", 1},
           {"local all all\n", "end-of-line before authentication method", 1},
           {"host all all\n", "end-of-line before IP address specification", 1},
           {"host all all 10.0.0.1 trust\n", "invalid IP mask \"trust\": Name or service not known",
            1},
           {"host all all 10.0.0.1\n", "end-of-line before netmask specification", 1},
           {"host all all 10.0.0.0/33 trust\n", "invalid CIDR mask in address \"10.0.0.0/33\"", 1},
           {"host all all 10.0.0.0/x trust\n", "invalid CIDR mask in address \"10.0.0.0/x\"", 1},
           {"host all all ::1 255.0.0.0 trust\n", "IP address and mask do not match", 1},
           {"host all all example.com trust\n",
            "invalid IP address \"example.com\": host names are not supported", 1},
           {"host all all 1.2.3.4/32,5.6.7.8/32 trust\n",
            "multiple values specified for host address", 1},
           {"local,host all all trust\n", "multiple values specified for connection type", 1},
           {"local all all trust,md5\n", "multiple values specified for authentication type", 1},
           {"local all all trust foo\n", "authentication option not in name=value format: foo", 1},
           {"local all all trust map=x\n", "unrecognized authentication option name: \"map\"", 1},
           {"host all all 1.2.3.4/32 peer\n",
            "peer authentication is only supported on local sockets", 1},
           {"local \"all all trust\n", "unterminated quoted string", 1},
           {"local all, all\n", "end-of-line before role specification", 1},  // one list
           {"local all all,\n", "missing entry at end of line", 1},
           {"local a,,b all trust\n", "empty entry in list", 1},
           {"local all +admins trust\n", "role membership is not supported: \"+admins\"", 1},
           {"# only comments\n\n", "configuration file \"/data/keel_hba.conf\" contains no entries",
            0},
       }) {
    Error e = ParseError(c.text);
    EXPECT_EQ(e.sqlstate().code(), "F0000") << c.text;
    EXPECT_EQ(e.severity(), Severity::kFatal);
    EXPECT_EQ(e.message(), c.message) << c.text;
    if (c.line > 0) {
      EXPECT_EQ(e.detail(),
                "line " + std::to_string(c.line) + " of configuration file \"/data/keel_hba.conf\"")
          << c.text;
    }
  }
}

TEST(HbaMatchTest, CidrV4AndV6AndMaskForm) {
  HbaFile file = HbaFile::Parse(
      "host all all 10.1.0.0/16 md5\n"                  // 1
      "host all all 192.168.7.0 255.255.255.0 trust\n"  // 2
      "host all all 2001:db8::/32 scram-sha-256\n"      // 3
      "host all all ::1/128 password\n"                 // 4
      "host all all 0.0.0.0/0 reject\n",                // 5
      "f");
  EXPECT_EQ(MatchTcp(file, "10.1.200.3", "d", "u"), 1);
  EXPECT_EQ(MatchTcp(file, "10.2.0.1", "d", "u"), 5);
  EXPECT_EQ(MatchTcp(file, "192.168.7.255", "d", "u"), 2);
  EXPECT_EQ(MatchTcp(file, "192.168.8.1", "d", "u"), 5);
  EXPECT_EQ(MatchTcp(file, "2001:db8:ffff::1", "d", "u"), 3);
  EXPECT_EQ(MatchTcp(file, "2001:db9::1", "d", "u"), 0);  // no v6 catch-all
  EXPECT_EQ(MatchTcp(file, "::1", "d", "u"), 4);
  // An IPv4-mapped IPv6 peer is matched as IPv4.
  EXPECT_EQ(MatchTcp(file, "::ffff:10.1.0.9", "d", "u"), 1);
  // Unix sockets never match host lines.
  EXPECT_EQ(MatchLocal(file, "d", "u"), 0);
}

TEST(HbaMatchTest, SslKinds) {
  HbaFile file = HbaFile::Parse(
      "hostssl all all all scram-sha-256\n"
      "hostnossl all all all md5\n"
      "local all all trust\n",
      "f");
  EXPECT_EQ(MatchTcp(file, "1.2.3.4", "d", "u", /*ssl=*/true), 1);
  EXPECT_EQ(MatchTcp(file, "1.2.3.4", "d", "u", /*ssl=*/false), 2);
  EXPECT_EQ(MatchLocal(file, "d", "u"), 3);
}

TEST(HbaMatchTest, ListsKeywordsAndFirstMatchWins) {
  HbaFile file = HbaFile::Parse(
      "local sales,hr   alice,\"bob\"  md5\n"        // 1
      "local sameuser   all           trust\n"       // 2
      "local \"all\"      carol         password\n"  // 3: a database literally named all
      "local replication repl         trust\n"       // 4
      "local all        \"all\"         peer\n"      // 5: a role literally named all
      "local all        alice         reject\n",     // 6
      "f");
  EXPECT_EQ(MatchLocal(file, "sales", "alice"), 1);
  EXPECT_EQ(MatchLocal(file, "hr", "bob"), 1);
  EXPECT_EQ(MatchLocal(file, "dave", "dave"), 2);
  EXPECT_EQ(MatchLocal(file, "all", "carol"), 3);
  EXPECT_EQ(MatchLocal(file, "other", "carol"), 0);
  EXPECT_EQ(MatchLocal(file, "x", "all"), 5);
  EXPECT_EQ(MatchLocal(file, "x", "alice"), 6);
  // Replication connections match only the replication keyword, and "all" does not.
  EXPECT_EQ(MatchLocal(file, "repl", "repl", /*replication=*/true), 4);
  EXPECT_EQ(MatchLocal(file, "sales", "alice", /*replication=*/true), 0);
  // The replication keyword does not match a database called replication.
  EXPECT_EQ(MatchLocal(file, "replication", "repl"), 0);
}

TEST(HbaMatchTest, SameHostMatchesLoopback) {
  HbaFile file = HbaFile::Parse(
      "host all all samehost trust\n"
      "host all all samenet md5\n",
      "f");
  EXPECT_EQ(MatchTcp(file, "127.0.0.1", "d", "u"), 1);
  EXPECT_EQ(MatchTcp(file, "127.0.0.2", "d", "u"), 2);  // on lo's 127/8 net, not an address
  EXPECT_EQ(MatchTcp(file, "203.0.113.77", "d", "u"), 0);
}

TEST(HbaLoadTest, MissingFileAndRealFile) {
  try {
    (void)HbaFile::Load("/nonexistent/keel_hba.conf");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(),
              "could not open configuration file \"/nonexistent/keel_hba.conf\": No such file or "
              "directory");
  }
  char path[] = "/tmp/keel_hba_testXXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  {
    std::ofstream out(path);
    out << "local all all trust\n";
  }
  HbaFile file = HbaFile::Load(path);
  EXPECT_EQ(file.file_name(), path);
  EXPECT_EQ(MatchLocal(file, "a", "b"), 1);
  unlink(path);
}

}  // namespace
}  // namespace keel::auth

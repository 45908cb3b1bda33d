// The command loop of an established session. Until the SQL engine lands every statement
// is answered with 0A000; the framing of every v3 message is already exact (README: T4).
// Each command first takes in other backends' committed catalog changes (README: T7) and is
// reported to pg_stat_activity (T10).
#include <string>

#include "backend/protocol/backend_messages.h"
#include "backend/protocol/message.h"
#include "backend/tcop/session.h"
#include "backend/utils/cache/inval.h"
#include "backend/utils/error/format.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/interrupts.h"
#include "storage/ipc/proc_array.h"

namespace keel::tcop {
namespace {

// True for a query string that holds no statement: blanks, semicolons and comments only.
bool IsEmptyQuery(const std::string& q) {
  size_t i = 0;
  while (i < q.size()) {
    char c = q[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == ';') {
      ++i;
    } else if (c == '-' && i + 1 < q.size() && q[i + 1] == '-') {
      while (i < q.size() && q[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < q.size() && q[i + 1] == '*') {
      int depth = 1;  // block comments nest in PostgreSQL
      i += 2;
      while (i < q.size() && depth > 0) {
        if (q.compare(i, 2, "/*") == 0) {
          ++depth;
          i += 2;
        } else if (q.compare(i, 2, "*/") == 0) {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      }
      if (depth > 0) return false;  // unterminated: a real parser reports it
    } else {
      return false;
    }
  }
  return true;
}

bool IsExtendedProtocolMessage(char type) {
  return type == 'P' || type == 'B' || type == 'D' || type == 'E' || type == 'C';
}

// Messages that run (part of) a command: they may read the catalogs.
bool IsCommandMessage(char type) {
  return type == 'Q' || type == 'F' || IsExtendedProtocolMessage(type);
}

// T10: what pg_stat_activity shows while an extended-protocol or function-call message runs:
// Parse brings its statement's text (PostgreSQL's exec_parse_message); the others keep the
// last one. A malformed Parse shows nothing new (its error is reported as before).
void ReportCommandMessage(storage::ProcSlot* slot, char type, const std::string& body) {
  if (slot == nullptr) return;
  if (type == 'F') {
    storage::ProcArrayReportActivity(slot, storage::BackendState::kFastpath, nullptr);
    return;
  }
  std::string query;
  bool have_query = false;
  if (type == 'P') {
    try {
      protocol::MessageReader reader(body, Severity::kError);
      (void)reader.GetString();  // statement name
      query = std::string(reader.GetString());
      have_query = true;
    } catch (const Error&) {
    }
  }
  storage::ProcArrayReportActivity(slot, storage::BackendState::kRunning,
                                   have_query ? query.c_str() : nullptr);
}

}  // namespace

void Session::HandleSimpleQuery(const std::string& body) {
  protocol::MessageReader reader(body, Severity::kError);  // whole message read: in sync
  std::string query(reader.GetString());
  reader.ExpectEnd();
  // T10: active, with the statement's text, until the loop reports idle again.
  if (slot_ != nullptr) {
    storage::ProcArrayReportActivity(slot_, storage::BackendState::kRunning, query.c_str());
  }
  if (IsEmptyQuery(query)) {
    connection_.Send(protocol::EmptyQueryResponse());
    return;
  }
  // TODO(issue 7): parse, plan and execute.
  throw Error(sqlstate::kFeatureNotSupported, "statement not supported yet");
}

void Session::RunCommandLoop() {
  bool send_ready = true;
  bool skip_until_sync = false;  // after an error in an extended-protocol batch
  for (;;) {
    char type = 0;
    try {
      if (send_ready) {
        ReportIdle();  // T10
        connection_.Send(protocol::ReadyForQuery('I'));
        connection_.Flush();
        send_ready = false;
      }
      Interrupts().cancel = 0;  // a cancel that arrives while idle cancels nothing
      reading_command_ = true;  // T7: catch-up requests are served while we wait
      protocol::ClientConnection::Message message = connection_.ReadMessage();
      reading_command_ = false;
      type = message.type;
      if (skip_until_sync && type != 'S' && type != 'X') continue;
      // T7: the caches forget what other backends' committed catalog changes made stale, so
      // this command sees them (PostgreSQL does it at the start of each transaction command).
      if (IsCommandMessage(type)) {
        (void)cache::AcceptInvalidationMessages();
        if (type != 'Q') ReportCommandMessage(slot_, type, message.body);  // Q: its handler
      }
      switch (type) {
        case 'Q':
          send_ready = true;
          HandleSimpleQuery(message.body);
          break;
        case 'P': case 'B': case 'D': case 'E': case 'C':
          // TODO(issue 7): extended query protocol.
          throw Error(sqlstate::kFeatureNotSupported, "statement not supported yet");
        case 'S':
          protocol::MessageReader(message.body, Severity::kError).ExpectEnd();
          skip_until_sync = false;
          send_ready = true;
          break;
        case 'H':
          protocol::MessageReader(message.body, Severity::kError).ExpectEnd();
          connection_.Flush();
          break;
        case 'F':
          send_ready = true;
          throw Error(sqlstate::kFeatureNotSupported, "function call messages are not supported yet");
        case 'X':
          return;
        case 'd': case 'c': case 'f':
          break;  // COPY data outside COPY is ignored, as PostgreSQL does
        default:
          throw FatalError(sqlstate::kProtocolViolation,
                           Format("invalid frontend message type %d", static_cast<int>(type)));
      }
    } catch (const Error& e) {
      reading_command_ = false;
      if (e.severity() >= Severity::kFatal) throw;
      LogError(e);
      connection_.Send(protocol::ErrorResponse(e));
      if (IsExtendedProtocolMessage(type)) {
        skip_until_sync = true;
      } else {
        send_ready = true;
      }
    }
  }
}

}  // namespace keel::tcop

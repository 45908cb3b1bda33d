// A backend's life from fork to exit; see backend_main.h and README.md.
#include "backend/tcop/backend_main.h"

#include "backend/protocol/backend_messages.h"
#include "backend/protocol/client_auth.h"
#include "backend/tcop/session.h"
#include "backend/utils/config/settings.h"
#include "backend/utils/error/log.h"
#include "backend/utils/init/process_exit.h"
#include "storage/ipc/latch.h"
#include "storage/ipc/process_context.h"

namespace keel::tcop {
namespace {

// T5: the last word to the client; it may be gone already.
void TrySendFatal(Session& session, const Error& error) {
  try {
    session.connection().Send(protocol::ErrorResponse(error));
    session.connection().Flush();
  } catch (...) {
  }
}

}  // namespace

void BackendMain(int client_fd, ConnectionRefusal refusal, const BackendResources& resources) {
  int exit_code = 0;
  Session session(client_fd, resources);
  try {
    session.Start(refusal);
    session.RunCommandLoop();
  } catch (const protocol::ClientGone&) {
    exit_code = 0;  // T4: nothing to report to anyone
  } catch (const protocol::AuthFailedError& e) {
    LogError(e.ForLog());  // the client does not get the log-only detail
    TrySendFatal(session, e);
    exit_code = 1;
  } catch (const Error& e) {
    Error fatal = e;
    if (e.severity() < Severity::kFatal) {
      fatal = Error(e.sqlstate(), e.message(), Severity::kFatal).WithDetail(e.detail()).WithHint(e.hint());
    }
    LogError(fatal);
    TrySendFatal(session, fatal);
    exit_code = 1;
  } catch (const std::bad_alloc&) {
    Error fatal(sqlstate::kOutOfMemory, "out of memory", Severity::kFatal);
    LogError(fatal);
    TrySendFatal(session, fatal);
    exit_code = 1;
  }
  std::string disconnection = session.DisconnectionLogLine();
  if (settings::log_disconnections && !disconnection.empty()) {
    Log(Severity::kLog, "%s", disconnection.c_str());
  }
  ProcessExit(exit_code);
}

}  // namespace keel::tcop

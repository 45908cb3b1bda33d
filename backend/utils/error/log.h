// Server log: one line per message, prefixed with time, pid and process kind,
// written with a single write() so lines from concurrent processes never interleave.
#pragma once

#include <string_view>

#include "backend/utils/error/error.h"

namespace keel {

// Messages below this severity are not logged (setting log_min_messages).
void SetLogMinSeverity(Severity severity);
[[nodiscard]] Severity LogMinSeverity();

// The word after the pid in every line: "postmaster", "checkpointer", "backend" ...
// Requires: `kind` points to storage that lives as long as the process.
void SetLogProcessKind(const char* kind);

// Sends log lines to the file at `path` (appending), or back to stderr when empty.
// Returns false (and keeps the old destination) when the file cannot be opened.
[[nodiscard]] bool SetLogFile(std::string_view path);

[[nodiscard]] bool LogEnabled(Severity severity);
void Log(Severity severity, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void LogMessage(Severity severity, std::string_view message);
// Logs an error with its SQLSTATE, detail and hint as PostgreSQL's server log does.
void LogError(const Error& error);

}  // namespace keel

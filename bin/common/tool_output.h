// Messages from the command-line tools in PostgreSQL's frontend style:
// "keel-initdb: error: ...", "keel-initdb: hint: ...". See bin/README.md (T1, T2).
#pragma once

#include <cstdarg>

namespace keel {
class Error;
}  // namespace keel

namespace keel::tools {

// Sets the name every message is prefixed with. Call first thing in main().
// Requires: `name` lives for the whole process (a string literal).
void SetProgramName(const char* name);
[[nodiscard]] const char* ProgramName();

// "<prog>: error: <text>\n", "<prog>: warning: ...", "<prog>: detail: ...", "<prog>: hint: ..."
// on stderr. stdout is flushed first so progress output and messages keep their order (T2).
void PrintError(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void PrintWarning(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void PrintDetail(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void PrintHint(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// "<prog>: <text>\n" on stderr, without a level word (pg_ctl's style).
void PrintPlain(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Progress text on stdout exactly as formatted (no prefix, no newline added), flushed at once
// so it shows before a slow step and before any message on stderr (T2).
void PrintProgress(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void VPrintProgress(const char* fmt, va_list args) __attribute__((format(printf, 1, 0)));

// `Try "<prog> --help" for more information.` as a hint line.
void PrintTryHelpHint();

// A server-side error (from the shared code the tools call) in the frontend style: its message
// as an error line, then its detail and hint lines when present (T1).
void PrintErrorReport(const Error& error);

}  // namespace keel::tools

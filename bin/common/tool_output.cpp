// Frontend messages for the tools; see tool_output.h and bin/README.md.
#include "bin/common/tool_output.h"

#include <cstdarg>
#include <cstdio>

#include "backend/utils/error/error.h"

namespace keel::tools {
namespace {

const char* program_name = "keel";

void PrintWithLevel(const char* level, const char* fmt, va_list args) {
  fflush(stdout);  // T2
  if (level != nullptr) {
    fprintf(stderr, "%s: %s: ", program_name, level);
  } else {
    fprintf(stderr, "%s: ", program_name);
  }
  vfprintf(stderr, fmt, args);
  fputc('\n', stderr);
  fflush(stderr);
}

}  // namespace

void SetProgramName(const char* name) { program_name = name; }
const char* ProgramName() { return program_name; }

#define KEEL_DEFINE_PRINTER(function, level) \
  void function(const char* fmt, ...) {      \
    va_list args;                            \
    va_start(args, fmt);                     \
    PrintWithLevel(level, fmt, args);        \
    va_end(args);                            \
  }

KEEL_DEFINE_PRINTER(PrintError, "error")
KEEL_DEFINE_PRINTER(PrintWarning, "warning")
KEEL_DEFINE_PRINTER(PrintDetail, "detail")
KEEL_DEFINE_PRINTER(PrintHint, "hint")
KEEL_DEFINE_PRINTER(PrintPlain, nullptr)

#undef KEEL_DEFINE_PRINTER

void PrintProgress(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  VPrintProgress(fmt, args);
  va_end(args);
}

void VPrintProgress(const char* fmt, va_list args) {
  vprintf(fmt, args);
  fflush(stdout);
}

void PrintTryHelpHint() { PrintHint("Try \"%s --help\" for more information.", program_name); }

void PrintErrorReport(const Error& error) {
  PrintError("%s", error.message().c_str());
  if (!error.detail().empty()) PrintDetail("%s", error.detail().c_str());
  if (!error.hint().empty()) PrintHint("%s", error.hint().c_str());
}

}  // namespace keel::tools

// Shell-style word splitting and quoting: keel-ctl splits -o OPTIONS and postmaster.opts into
// arguments, and the tools quote paths they print as commands. See bin/README.md (T3).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keel::tools {

// Splits `text` into words as a POSIX shell does, without expansions: blanks (space, tab,
// newline) separate words; '...' keeps everything literally; "..." keeps everything except that
// a backslash escapes ", \, $ and `; outside quotes a backslash escapes any character.
// Returns nullopt (and sets *error) for an unterminated quote or a trailing backslash.
[[nodiscard]] std::optional<std::vector<std::string>> SplitShellWords(std::string_view text,
                                                                      std::string* error);

// `word` as a shell word: unchanged when it consists only of characters no shell treats
// specially, else in single quotes (a ' inside becomes '\'').
[[nodiscard]] std::string ShellQuote(std::string_view word);

}  // namespace keel::tools

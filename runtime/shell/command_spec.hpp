#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weft::shell {

/// What a positional argument of a shell command is: decides its validation
/// and its tab completion.
enum class arg_kind {
  node,            ///< a node name (completed from `nodes`)
  job_id,          ///< a job id, digits (completed from `jobs`)
  engine_type,     ///< merge or weaver
  job_state,       ///< queued, mapping, merging, weaving, done, failed, cancelled
  setting_key,     ///< a settings key (completed from `settings`)
  value,           ///< free text (a setting's value)
  cleanup_action,  ///< status or run
  follow_flag,     ///< -f
  command,         ///< a shell command name (`help CMD`)
  submit_option,   ///< the options of `caf-node submit`
};

/// One shell command: its name, usage, help text and positional arguments.
struct command_spec {
  std::string name;
  std::string usage;    ///< e.g. "drain NODE"
  std::string summary;  ///< one line for `help`
  std::string details;  ///< the rest of `help CMD`
  std::vector<arg_kind> args;
  std::size_t min_args = 0;
  std::size_t max_args = 0;  ///< SIZE_MAX: any number (submit)
};

/// Every command, in the order `help` lists them.
const std::vector<command_spec>& command_specs();
/// The command called `name` (quit and exit are both there); nullptr if none.
const command_spec* find_command(std::string_view name);
/// The names of all commands, for suggestions and completion.
std::vector<std::string> command_names();

/// The fixed vocabularies.
const std::vector<std::string>& engine_types();
const std::vector<std::string>& job_states();
const std::vector<std::string>& cleanup_actions();

/// A shell line taken apart and checked: the command and its arguments.
/// For `logs`, a `-f` anywhere is moved to the end.
struct parsed_command {
  const command_spec* spec = nullptr;  ///< nullptr: a blank line
  std::vector<std::string> args;
};

/// Splits and checks a shell line without asking any node: the command must
/// exist ("unknown command 'nods' — did you mean 'nodes'?"), the argument
/// count must fit, job ids must be numbers, engine types, job states and
/// clean-up actions must be known words. Node names and settings keys are
/// the node's to check.
/// @throws usage_error
parsed_command parse_command(std::string_view line);

/// Parses a job id argument. @throws usage_error unless it is a positive number.
long long parse_job_id(const std::string& word);

}  // namespace weft::shell

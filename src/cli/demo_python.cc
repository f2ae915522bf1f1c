// SPDX-License-Identifier: GPL-2.0
//
// The demo's Python agents (demo_parts.hpp): `python3 -m
// mlcore_agent.agents.iris` and `.loop` with Debian's interpreter and this
// checkout's SDK first on PYTHONPATH.
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "cli/demo_parts.hpp"
#include "emulator/instance.hpp"

extern char **environ;

namespace mlc::cli {

#ifndef MLC_PYTHON3
#define MLC_PYTHON3 "/usr/bin/python3"
#endif
#ifndef MLC_PYTHON_SRC
#define MLC_PYTHON_SRC ""
#endif

namespace {

// Runs argv with PYTHONPATH led by the checkout's SDK; (exit status, stdout).
std::pair<int, std::string> run_python(const std::vector<std::string> &args)
{
	std::vector<std::string> envs;
	for (char **e = environ; *e; e++)
		if (std::strncmp(*e, "PYTHONPATH=", 11) != 0)
			envs.emplace_back(*e);
	const char *old = getenv("PYTHONPATH");
	envs.push_back(fmt::format("PYTHONPATH={}{}{}", MLC_PYTHON_SRC,
				   old && *old ? ":" : "", old ? old : ""));
	std::vector<char *> argv, envp;
	argv.push_back(const_cast<char *>(MLC_PYTHON3));
	for (const auto &a : args)
		argv.push_back(const_cast<char *>(a.c_str()));
	argv.push_back(nullptr);
	for (auto &e : envs)
		envp.push_back(e.data());
	envp.push_back(nullptr);
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return { -errno, {} };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	pid_t pid;
	int err = posix_spawn(&pid, MLC_PYTHON3, &fa, nullptr, argv.data(),
			      envp.data());
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	std::string out;
	char buf[4096];
	ssize_t n;
	while (!err && ((n = read(fds[0], buf, sizeof(buf))) > 0 ||
			(n < 0 && errno == EINTR)))
		if (n > 0)
			out.append(buf, static_cast<size_t>(n));
	close(fds[0]);
	if (err)
		return { -err, {} };
	int status = 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return { -errno, out };
	return { WIFEXITED(status) ? WEXITSTATUS(status) :
				     128 + WTERMSIG(status),
		 out };
}

std::string last_line_with(const std::string &out, std::string_view key)
{
	std::string found;
	size_t pos = 0;
	while (pos < out.size()) {
		size_t nl = out.find('\n', pos);
		std::string line = out.substr(
			pos, nl == std::string::npos ? nl : nl - pos);
		if (line.find(key) != std::string::npos)
			found = line;
		pos = nl == std::string::npos ? out.size() : nl + 1;
	}
	return found;
}

} // namespace

PythonResults run_python_agents(const DemoArgs &args, const std::string &root)
{
	PythonResults r;
	if (args.python == "off") {
		r.why_not = "not run (--python off)";
		return r;
	}
	auto probe = run_python({ "-c", "import sklearn, mlcore_agent" });
	if (probe.first != 0) {
		r.why_not = fmt::format(
			"not run: {} cannot import sklearn and mlcore_agent "
			"(apt-get install python3-sklearn; cmake --install)",
			MLC_PYTHON3);
		if (args.python == "on")
			throw InstanceError(r.why_not);
		return r;
	}
	fmt::print(
		"\n== python: the Python agents (mlcore_agent, scikit-learn, {})\n",
		MLC_PYTHON3);
	std::fflush(stdout);
	auto iris = run_python({ "-m", "mlcore_agent.agents.iris", "--root",
				 root, "--seed", std::to_string(args.seed) });
	auto loop = run_python({ "-m", "mlcore_agent.agents.loop", "--root",
				 root, "--epochs", std::to_string(args.epochs),
				 "--progress-every",
				 std::to_string(args.progress_every) });
	fmt::print("{}{}", iris.second, loop.second);
	if (iris.first != 0 || loop.first != 0)
		throw InstanceError(fmt::format(
			"the Python agents failed (iris exit {}, loop "
			"exit {})",
			iris.first, loop.first));
	r.ran = true;
	r.iris_accuracy = last_line_with(iris.second, "accuracy:");
	r.loop_line = last_line_with(loop.second, "cumulative efficiency:");
	return r;
}

} // namespace mlc::cli

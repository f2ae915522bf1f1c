// SPDX-License-Identifier: GPL-2.0
//
// Children are served too: exec and posix_spawn put LD_PRELOAD and the
// instance's variables back into an environment that dropped them,
// without allocating (a vfork child may call them).
#include <dlfcn.h>
#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "preload/door.hpp"

namespace mlc::preload {

namespace {

// This library's own file name (for LD_PRELOAD of children).
const char *self_path()
{
	static const char *path = [] {
		Dl_info info{};
		if (dladdr(reinterpret_cast<void *>(&door_init), &info) &&
		    info.dli_fname)
			return strdup(info.dli_fname);
		return static_cast<char *>(nullptr);
	}();
	return path;
}

// Filled in at init, so an exec in a vfork child allocates nothing.
char g_env_preload[4096];
char g_env_instance[128];
char g_env_state_dir[4096];
char g_env_seed[64];

const char *find_env(char *const envp[], const char *name)
{
	size_t len = strlen(name);
	for (char *const *e = envp; e && *e; e++)
		if (!strncmp(*e, name, len) && (*e)[len] == '=')
			return *e + len + 1;
	return nullptr;
}

} // namespace

void snapshot_env()
{
	const char *self = self_path();
	const char *preload = getenv("LD_PRELOAD");
	if (preload && self && strstr(preload, self))
		snprintf(g_env_preload, sizeof(g_env_preload), "LD_PRELOAD=%s",
			 preload);
	else if (self)
		snprintf(g_env_preload, sizeof(g_env_preload),
			 "LD_PRELOAD=%s%s%s", self,
			 preload && *preload ? ":" : "",
			 preload ? preload : "");
	if (const char *n = getenv(kInstanceEnv))
		snprintf(g_env_instance, sizeof(g_env_instance), "%s=%s",
			 kInstanceEnv, n);
	if (const char *d = getenv(kStateDirEnv))
		snprintf(g_env_state_dir, sizeof(g_env_state_dir), "%s=%s",
			 kStateDirEnv, d);
	if (const char *s = getenv(kSeedEnv))
		snprintf(g_env_seed, sizeof(g_env_seed), "%s=%s", kSeedEnv, s);
}

char *const *child_env(char *const envp[])
{
	const char *self = self_path();
	const char *pre = find_env(envp, "LD_PRELOAD");
	bool need_preload = self && g_env_preload[0] &&
			    !(pre && strstr(pre, self));
	bool need_inst = g_env_instance[0] && !find_env(envp, kInstanceEnv);
	bool need_dir = g_env_state_dir[0] && !find_env(envp, kStateDirEnv);
	bool need_seed = g_env_seed[0] && !find_env(envp, kSeedEnv);
	if (!need_preload && !need_inst && !need_dir && !need_seed)
		return envp;
	// Rare (the program built an environment without us): one mmap, no
	// malloc (this may run in a vfork child).
	size_t n = 0;
	for (char *const *e = envp; e && *e; e++)
		n++;
	size_t bytes = (n + 5) * sizeof(char *);
	void *mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return envp;
	auto **out = static_cast<char **>(mem);
	size_t k = 0;
	for (char *const *e = envp; e && *e; e++)
		if (!(need_preload && !strncmp(*e, "LD_PRELOAD=", 11)))
			out[k++] = *e;
	if (need_preload)
		out[k++] = g_env_preload;
	if (need_inst)
		out[k++] = g_env_instance;
	if (need_dir)
		out[k++] = g_env_state_dir;
	if (need_seed)
		out[k++] = g_env_seed;
	out[k] = nullptr;
	return out;
}

} // namespace mlc::preload

// SPDX-License-Identifier: GPL-2.0
//
// Typed clients for the device profiles.  They use nothing but paths under
// a ROOT and the system calls of fd.hpp (open, read, write, ioctl, lseek),
// so an agent built on them runs unchanged against:
//   - the real kernel modules: ROOT "/";
//   - a FUSE mount of `mlcore-emu serve --root R`: ROOT R;
//   - the preload door (`mlcore-emu run -- AGENT`): ROOT "/".
// Failures: SysError (a std::system_error carrying the errno) for a system
// call, ProtocolError for text or records outside the documented format.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/fd.hpp"
#include "agent/loop_records.hpp"
#include "agent/parse.hpp"
#include "uapi/ml_lib.h"
#include "uapi/ml_loop.h"
#include "uapi/mlcore.h"

namespace mlc::agent {

// --- mlcore: /dev/mlcore, /proc/mlcore_result, /proc/mlcore_train --------------
class MlcoreClient {
public:
	// Opens ROOT/dev/mlcore (O_RDWR unless told otherwise).
	explicit MlcoreClient(Root root = Root("/"), int flags = O_RDWR);

	// IOCTL_SEND_INTS: the features of the sample to classify.
	void send_features(const Features &features);
	// IOCTL_SET_RESULT: the prediction (pushed on the history ring).
	void set_result(int32_t result);
	// IOCTL_GET_RESULT into a guarded int: the number encodes 8 bytes but
	// the driver copies 4; a transport that writes more than 4 is caught
	// (ProtocolError), never memory corruption in the agent.
	int32_t get_result();
	// IOCTL_ADD_TRAINING.  The driver keeps at most 50 entries and drops
	// the rest silently (the ioctl still succeeds): compare read_training().
	void add_training(const Features &features, int32_t label);
	void add_training(const train_entry &entry);
	// IOCTL_CLEAR_TRAINING.
	void clear_training();

	// /proc/mlcore_train parsed back to fixed-point ints.  Beware the
	// driver's sign loss: a value in (-100, 0) prints like its absolute
	// value, so it comes back positive with TrainingRow::exact false (see
	// parse_fixed).  Real values outside (-1, 0) always read back exactly.
	std::vector<TrainingRow> read_training() const;
	// /proc/mlcore_result: the current prediction and the history (up to
	// 10, oldest first).
	ResultReport read_result_history() const;

	Fd &fd() noexcept { return fd_; }
	const Root &root() const noexcept { return root_; }

private:
	Root root_;
	Fd fd_;
};

// --- ml_lib: /dev/mllibdev, the model's control and the device attributes -------
class MlLibClient {
public:
	// Nothing is opened yet: the device is opened on first use (each
	// open counts in access_count, as on the real driver).
	explicit MlLibClient(Root root = Root("/"));

	// One write(2) of cmd to ml_model1/control.  The driver matches
	// prefixes (ABI.md): "s" is start; no match is EOPNOTSUPP (SysError).
	size_t control(std::string_view cmd);
	void start() { control(ML_LIB_CMD_START); }
	void stop() { control(ML_LIB_CMD_STOP); }
	void prepare_dataset() { control(ML_LIB_CMD_PREPARE_DATASET); }
	void discard_dataset() { control(ML_LIB_CMD_DISCARD_DATASET); }

	// The device, opened with flags on first use (or now).
	Fd &device(int flags = O_RDWR);
	// lseek to 0 and read until EOF (the dataset is data_size bytes).
	std::vector<std::byte> read_dataset();
	// lseek to offset and ONE write(2); returns what write returned
	// (short near the 1024-byte end; ENOSPC at or past it).
	size_t write_recommendations(std::span<const std::byte> data, off_t offset = 0);
	// ML_LIB_TEST_IOCRESET / IOCGETSIZE / IOCSETSIZE (EINVAL outside 0..1024).
	void reset();
	int get_size();
	void set_size(int size);

	// The class device's attributes, sys/class/ml_lib_test/mllibdev/NAME.
	uint64_t buffer_size() const;
	uint64_t data_size() const;
	uint64_t access_count() const;
	MlLibStats stats() const;
	// "MAJ:MIN" of the dev attribute (without the newline).
	std::string dev_numbers() const;
	// /proc/mllibdev as key-value pairs ("Device name" -> "mllibdev").
	KeyValues proc_info() const;
	std::string attr_path(std::string_view name) const;

private:
	Root root_;
	Fd dev_;
};

// --- the closed loop: /dev/mlloop and ml_readahead's attributes -------------------
class MlLoopClient {
public:
	// Nothing is opened yet; the device is opened O_RDWR on first use.
	explicit MlLoopClient(Root root = Root("/"));

	// One write(2) of cmd to ml_readahead/control.
	size_t control(std::string_view cmd);
	void start() { control("start"); }
	void stop() { control("stop"); }
	void reset() { control("reset"); }
	void prepare_dataset() { control(ML_LIB_CMD_PREPARE_DATASET); }
	void discard_dataset() { control(ML_LIB_CMD_DISCARD_DATASET); }
	// "step N": simulate n epochs (1..10000; EINVAL outside).
	void step(unsigned n);

	Fd &device();
	// ML_LOOP_IOCPENDING: records waiting to be read.
	uint32_t pending();
	// ONE read(2) of up to max_records whole records (0 records when none
	// wait).  A byte count that is not whole records, or an invalid record,
	// is a ProtocolError.
	std::vector<LoopRecord> read_records(size_t max_records = 256);
	// Reads until nothing waits.
	std::vector<LoopRecord> drain();
	// One RECOMMENDATION record: window from the next epoch on (epoch 0).
	// A window above ML_LOOP_MAX_WINDOW is std::invalid_argument before any
	// write; the kernel's refusal (EINVAL) is a SysError.
	void write_recommendation(uint32_t window, uint32_t confidence_permille = 0,
				  uint64_t epoch = 0);
	// One POLICY (closed loop v2) in one write(2): the tree evaluated at
	// each miss from the next epoch on.  A tree check_policy() refuses is
	// std::invalid_argument before any write; EINVAL is a SysError.
	void write_policy(const PolicyTree &tree, uint64_t epoch = 0);
	// Raw bytes, one write(2), for callers that test refusals.
	size_t write_raw(std::span<const std::byte> bytes, std::error_code &ec);

	ml_lib_model_mode mode() const;
	ml_lib_model_state state() const;
	uint32_t efficiency_milli() const;	// EWMA, 1000 = the default's cost
	LoopStats stats() const;
	std::string model_path(std::string_view name) const;

private:
	Root root_;
	Fd dev_;
};

// ROOT-relative paths of the profiles (no leading slash).
inline constexpr const char *kMlcoreDev = "dev/mlcore";
inline constexpr const char *kMlcoreResult = "proc/mlcore_result";
inline constexpr const char *kMlcoreTrain = "proc/mlcore_train";
inline constexpr const char *kMlLibDev = "dev/mllibdev";
inline constexpr const char *kMlLibProc = "proc/mllibdev";
inline constexpr const char *kMlLibClassDev = "sys/class/ml_lib_test/mllibdev";
inline constexpr const char *kMlLibControl = "sys/class/ml_lib_test/mllibdev/ml_model1/control";
inline constexpr const char *kMlLoopDev = "dev/mlloop";
inline constexpr const char *kMlLoopModel = "sys/class/ml_lib_loop/mlloop/ml_readahead";

}  // namespace mlc::agent
